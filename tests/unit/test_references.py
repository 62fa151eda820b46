"""Reference entries: cutting a section into entries, reading their fields, matching titles."""

from __future__ import annotations

import pytest

from paperlab.extract.refparse import parse_entry, split_authors
from paperlab.extract.refsplit import split_entries
from paperlab.refmatch import LibraryIndex, LibraryPaper, fold, surname_key, title_key


def test_numbered_entry_with_initials_and_a_journal() -> None:
    ref = parse_entry(
        "[7] R. I. Arriaga and S. Vempala. An algorithmic theory of learning: Robust concepts "
        "and random projection. In Proc. 40th IEEE Symposium on Foundations of Computer "
        "Science, pages 616–623, 1999."
    )
    assert ref.label == "7"
    assert ref.authors == ["R. I. Arriaga", "S. Vempala"]
    assert ref.title == "An algorithmic theory of learning: Robust concepts and random projection"
    assert ref.year == 1999
    assert ref.venue is not None and ref.venue.startswith("Proc. 40th IEEE Symposium")


def test_surname_first_authors_end_at_the_last_initial() -> None:
    ref = parse_entry(
        "He, K., Zhang, X., Ren, S., and Sun, J. Delving Deep into Rectifiers: Surpassing "
        "Human-Level Performance on ImageNet Classification. ArXiv e-prints, February 2015."
    )
    assert ref.authors == ["He, K.", "Zhang, X.", "Ren, S.", "Sun, J."]
    assert ref.title is not None and ref.title.startswith("Delving Deep into Rectifiers")
    assert ref.year == 2015


def test_quoted_title_label_and_arxiv_id() -> None:
    ref = parse_entry(
        "[KB14] D. Kingma and J. Ba. “Adam: A method for stochastic optimization”. "
        "In: arXiv preprint arXiv:1412.6980 (2014)."
    )
    assert (ref.label, ref.title, ref.year, ref.arxiv_id) == (
        "KB14",
        "Adam: A method for stochastic optimization",
        2014,
        "1412.6980",
    )


def test_apa_year_in_parentheses_is_not_the_title() -> None:
    ref = parse_entry(
        "Axelrod, A., He, X., and Gao, J. (2011). Domain adaptation via pseudo in-domain data "
        "selection. In Proceedings of EMNLP."
    )
    assert ref.title == "Domain adaptation via pseudo in-domain data selection"
    assert ref.year == 2011


@pytest.mark.parametrize(
    ("text", "arxiv_id"),
    [
        ("G. Author. A title here. CoRR, abs/1301.4083, 2013.", "1301.4083"),
        ("G. Author. A title here. ArXiv: 1411.7676, May 2016.", "1411.7676"),
        ("G. Author. A title here. https://arxiv.org/abs/1706.03762v5, 2017.", "1706.03762"),
        ("G. Author. Strings. Preprint hep-th/9901001, 1999.", "hep-th/9901001"),
    ],
)
def test_arxiv_ids_in_their_printed_forms(text: str, arxiv_id: str) -> None:
    assert parse_entry(text).arxiv_id == arxiv_id


def test_doi_url_and_a_year_inside_an_id_is_not_the_year() -> None:
    ref = parse_entry(
        "Schmidhuber, J. Deep learning in neural networks: An overview. Neural Networks, "
        "61:85–117, 2015. doi: 10.1016/j.neunet.2014.09.003. Published online 2014; "
        "based on TR arXiv:2004.13332 [cs.NE]."
    )
    assert ref.doi == "10.1016/j.neunet.2014.09.003"
    assert ref.arxiv_id == "2004.13332"
    assert ref.year == 2015
    url = parse_entry("BVLC. Caffe model zoo. URL http://caffe.berkeleyvision.org/model_zoo.")
    assert url.url == "http://caffe.berkeleyvision.org/model_zoo"
    assert url.year is None


def test_a_title_that_starts_with_in_is_a_title() -> None:
    ref = parse_entry(
        "Bernard J. Baars. In the Theater of Consciousness. New York, NY: Oxford University "
        "Press, 1997."
    )
    assert ref.title == "In the Theater of Consciousness"
    no_title = parse_entry("A. Author. In Proceedings of the Conference, 2001.")
    assert no_title.title is None


def test_split_authors_both_orders() -> None:
    assert split_authors("Bengio, Yoshua and Glorot, Xavier") == [
        "Bengio, Yoshua",
        "Glorot, Xavier",
    ]
    assert split_authors("Kaiming He, Xiangyu Zhang, and Jian Sun") == [
        "Kaiming He",
        "Xiangyu Zhang",
        "Jian Sun",
    ]
    assert split_authors("M. Bellemare, Y. Naddaf, et al.") == ["M. Bellemare", "Y. Naddaf"]


def test_split_bracketed_entries_run_together_on_one_line() -> None:
    text = (
        "[1] D. Achlioptas. Database-friendly random projections. JCSS, 2003. [2] N. Ailon "
        "and B. Chazelle. The fast transform, see [1]. SICOMP, 2009. [3] N. Alon. Problems "
        "in combinatorics. Discrete Math, 2003."
    )
    entries = split_entries(text)
    assert [e[:3] for e in entries] == ["[1]", "[2]", "[3]"]
    assert "see [1]" in entries[1]


def test_split_numbered_lines() -> None:
    text = (
        "1. A. Turing. On computable numbers. Proc. LMS, 1936.\n"
        "2. C. Shannon. A mathematical theory\nof communication. BSTJ, 1948.\n"
        "3. J. von Neumann. First draft of a report on the EDVAC. 1945."
    )
    entries = split_entries(text)
    assert len(entries) == 3
    assert entries[1] == "2. C. Shannon. A mathematical theory of communication. BSTJ, 1948."


def test_split_author_year_lines_keeps_wrapped_lines_with_their_entry() -> None:
    text = (
        "Bengio, Y., Ducharme, R., and Vincent, P. (2003). A neural probabilistic language model.\n"
        "J. Mach. Learn. Res., 3, 1137–1155.\n"
        "Dean, Jeffrey, Corrado, Greg S., Monga, Rajat, Chen, Kai,\n"
        "Devin, Matthieu, and Ng, Andrew Y. Large scale distributed deep networks. In NIPS, 2012.\n"
        "Van Leeuwen, Jan. On the construction of huffman trees. In ICALP, 1976.\n"
        "NVIDIA. Technical brief: a development kit. URL http://www.nvidia.com."
    )
    entries = split_entries(text)
    assert len(entries) == 4
    assert entries[0].endswith("3, 1137–1155.")
    assert "Devin, Matthieu" in entries[1]
    assert entries[2].startswith("Van Leeuwen") and entries[3].startswith("NVIDIA.")


def test_fold_undoes_ligatures_latex_accents_and_hyphenation() -> None:
    assert fold("Rectiﬁer") == "rectifier"
    assert fold("G¨ulc¸ehre, C¸ aglar") == "gulcehre c aglar"
    assert surname_key("Müller, Klaus-Robert") == "muller"
    assert surname_key("Jürgen Schmidhuber") == "schmidhuber"
    assert title_key("Johnson–Linden- strauss") == title_key("Johnson-Lindenstrauss")


def _library() -> LibraryIndex:
    return LibraryIndex(
        [
            LibraryPaper(
                "1502.03167",
                "Batch Normalization: Accelerating Deep Network Training by Reducing "
                "Internal Covariate Shift",
                2015,
                ("ioffe", "szegedy"),
                None,
                "ioffe2015batch",
            ),
            LibraryPaper("1412.6980", "Adam", 2014, ("kingma", "ba"), "10.1000/adam", None),
        ]
    )


def test_resolution_by_id_doi_title_and_near_title() -> None:
    index = _library()

    def resolve(**fields: object) -> tuple[str | None, str | None, str] | None:
        base: dict[str, object] = dict(
            arxiv_id=None, doi=None, online_arxiv_id=None, title=None, year=None, first_author=None
        )
        found = index.resolve(**{**base, **fields})  # type: ignore[arg-type]
        return (found.paper_id, found.arxiv_id, found.how) if found else None

    assert resolve(arxiv_id="1502.03167v3") == ("1502.03167", None, "arxiv-id")
    assert resolve(arxiv_id="1706.03762") == (None, "1706.03762", "arxiv-id")
    assert resolve(doi="10.1000/ADAM") == ("1412.6980", None, "doi")
    title = (
        "Batch normaliza- tion: Accelerating deep network training by reducing internal "
        "covariate shift"
    )
    assert resolve(title=title, year=2015) == ("1502.03167", None, "title+year")
    assert resolve(title=title, year=2009) is None  # the years are too far apart
    near = "Batch normalization: accelerating deep network training by reducing covariate shift"
    assert resolve(title=near, year=2015, first_author="S. Ioffe") == (
        "1502.03167",
        None,
        "near-title+author",
    )
    assert resolve(title=near, year=2015, first_author="J. Smith") is None
    # A short title needs its author: "Adam" alone names too many things.
    assert resolve(title="Adam", year=2014) is None
    assert resolve(title="Adam.", year=2014, first_author="Kingma, D.") == (
        "1412.6980",
        None,
        "title+author",
    )


def test_entries_run_together_on_one_line_are_cut_apart() -> None:
    text = (
        "Abadi, M., A. Agarwal, P. Barham, E. Brevdo, et al. 2016. “Tensor-Flow: Large-Scale "
        "Machine Learning”. arXiv preprint arXiv:1603.04467. Abbeel, P. and A. Y. Ng. 2004. "
        "“Apprenticeship learning via inverse reinforcement learning”. In: ICML. ACM. 1. "
        "Amari, S. 1998. “Natural Gradient Works Efficiently in Learning”.\n"
        "Neural Computation. 10(2): 251–276. Amodei, D., C. Olah, J. Steinhardt, and\n"
        "D. Mané. 2016. “Concrete problems in AI safety”. arXiv preprint arXiv:1606.06565."
    )
    refs = [parse_entry(e) for e in split_entries(text)]
    assert [r.authors[0] for r in refs] == ["Abadi, M.", "Abbeel, P.", "Amari, S", "Amodei, D."]
    assert [r.year for r in refs] == [2016, 2004, 1998, 2016]
    assert refs[1].authors == ["Abbeel, P.", "A. Y. Ng"]
    assert refs[2].venue == "Neural Computation. 10(2): 251–276"
    assert refs[3].title == "Concrete problems in AI safety"


def test_urls_broken_by_a_line_and_other_cases_seen_in_print() -> None:
    broken = parse_entry(
        "[78] R. Miikkulainen and N. Duffy. Evolving deep neural networks. Elsevier, 2019. "
        "https://arxiv.org/abs/ 1703.00548."
    )
    assert (broken.arxiv_id, broken.url) == ("1703.00548", "https://arxiv.org/abs/1703.00548")
    keras = parse_entry(
        "[15] F. Chollet. Keras, 2015. https://github.com/keras-team/keras/blob/master/examples/ "
        "mnist_cnn.py."
    )
    assert keras.title == "Keras"
    assert keras.url == "https://github.com/keras-team/keras/blob/master/examples/mnist_cnn.py"
    publisher = parse_entry(
        "[8] G. Bradski and A. Kaehler. Learning OpenCV: Computer vision with the OpenCV "
        'library. " O’Reilly Media, Inc.", 2008. https://opencv.org/.'
    )
    assert publisher.title == "Learning OpenCV: Computer vision with the OpenCV library"
    assert (
        parse_entry(
            "[84] R. M. Neal. Bayesian learning for neural networks, volume 118. Springer, 2012."
        ).title
        == "Bayesian learning for neural networks"
    )
    lowercase_initial = parse_entry(
        "[112] S.-y. Takemura, Y. Aso, and T. Parag. A connectome of a learning and memory "
        "center in the adult drosophila brain. Elife, 6:e26975, 2017."
    )
    assert lowercase_initial.authors[0] == "S.-y. Takemura"
    assert lowercase_initial.title is not None and lowercase_initial.title.startswith(
        "A connectome"
    )
