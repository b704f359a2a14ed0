r"""The paper's printed formulas and statements, verbatim, with where they stand.

Each :class:`Printed` entry keeps the text exactly as the text extraction of the paper prints it
(``verbatim``), the review copy's line number printed beside it (``line``, an integer; None where the review copy
prints none, as in Section 6), the line of the text extraction (``text_line``), and which part of it is read as a
formula (``latex``, a substring of ``verbatim``; None for prose and for formulas SymPy's LaTeX parser cannot
read, which the claims transcribe by hand and the reports show beside the verbatim text).

:func:`printed` reads an entry with :mod:`verify.reading` into a SymPy expression in a claim's namespace.
Cite the paper by section, equation and line (the review copy's numbering); nothing here reads any file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sympy as sp

from .reading import ReadingError, parse_printed, read

#: The paper's numbered equations, (1)-(43) (Sections 2-5 and Appendix A): the one place their count is kept (the
#: reports' coverage, the README and the claims' ``equations`` read it).
NUMBERED_EQUATIONS = tuple(range(1, 44))

#: The paper-text id scheme: an anchor (``eq<N>`` or ``s<section>``), then dot-separated parts.
ID_SCHEME = re.compile(r"(?P<anchor>eq(?P<eq>[1-9][0-9]?)|s(?P<sec>[1-6A]))(\.[A-Za-z0-9_]+)*")


def id_problem(pid: str, where: str) -> str:
    """Why ``pid`` breaks the id scheme for an entry standing at ``where`` ('' when it does not): the anchor must
    agree with ``where`` (``eq<N>``: where names (N); ``s<X>``: where is in Section X, or for ``s6`` Figure 1 and
    Table 1, for ``sA`` Appendix A's proof)."""
    m = ID_SCHEME.fullmatch(pid)
    if not m:
        return "an id is eq<N>[.part] or s<section>.topic[.part] (sections 1-6, A)"
    if m.group("eq"):
        n = int(m.group("eq"))
        if n not in NUMBERED_EQUATIONS or f"({n})" not in where:
            return f"anchor eq{n} but the text stands at {where!r}"
        return ""
    sec = m.group("sec")
    starts = {"6": ("Section 6", "Figure 1", "Table 1"), "A": ("Proof of Proposition", "Appendix A")}.get(
        sec, (f"Section {sec}",))
    if not where.startswith(starts) or pid == m.group("anchor"):
        return f"anchor s{sec} needs a topic and a place in section {sec}, got {where!r}"
    return ""


def line_label(line: int | None, text_line: int) -> str:
    """How the reports cite a line: the review copy's three-digit number, else the text extraction's line."""
    return f"line {line:03d}" if line is not None else f"text line {text_line}"


@dataclass(frozen=True)
class Printed:
    #: One id scheme: ``eq<N>[.part]`` for the text of numbered equation (N) or what follows it, else
    #: ``s<section>.topic[.part]`` (sections 1-6; ``sA`` for Appendix A) -- see :data:`ID_SCHEME`.
    id: str
    where: str
    line: int | None
    text_line: int
    verbatim: str
    latex: str | None = None
    #: Why a formula is transcribed by hand (the parser cannot read it, or it is prose).
    hand: str = ""

    def __post_init__(self):
        problem = id_problem(self.id, self.where)
        if problem:
            raise ValueError(f"paper text {self.id}: {problem}")
        if self.line is not None and (not isinstance(self.line, int) or isinstance(self.line, bool)
                                      or not 1 <= self.line <= 999):
            raise ValueError(f"paper text {self.id}: line must be the review copy's line number (an int), "
                             f"got {self.line!r}")
        if self.latex is not None and self.latex not in self.verbatim:
            raise ValueError(f"paper text {self.id}: the parsed part is not a substring of the verbatim text")
        if self.latex is None and not self.hand:
            raise ValueError(f"paper text {self.id}: a hand transcription needs its reason")

    @property
    def line_label(self) -> str:
        """'line 088' (the review copy numbers its lines with three digits), or the text extraction's line."""
        return line_label(self.line, self.text_line)

    @property
    def route(self) -> str:
        return "parsed" if self.latex is not None else "hand"

    def record(self) -> dict:
        out = {"id": self.id, "where": self.where, "line": self.line, "text_line": self.text_line,
               "verbatim": self.verbatim, "route": self.route}
        if self.latex is not None:
            out["parsed_latex"] = self.latex
            # the rules of kind "reading" the parse went through (verify.reading.RULES), each with what it read
            out["readings"] = [{"rule": rule, "latex": text} for rule, text in read(self.latex).readings]
        else:
            out["hand_transcription_because"] = self.hand
        return out


_HAND_PROSE = "prose: the statement is words, transcribed by hand"
_P = Printed
ENTRIES: tuple[Printed, ...] = (
    # ---- Section 2 -------------------------------------------------------------------------------------------
    _P("eq1.Y", "(1)", 88, 116, r"\bar{Y}_t := X + \dot{\rho}_t^{-1} \varepsilon", r"X + \dot{\rho}_t^{-1} \varepsilon"),
    _P("s2.target", "Section 2, after (2)", 94, 123,
       r"u_t = A_t \bar{Y}_t + S_t \varepsilon", r"A_t \bar{Y}_t + S_t \varepsilon"),
    _P("eq3.eps_hat", "(3)", 100, 129,
       r"\hat{\varepsilon}_t(\bar{Y}_t) := \frac{\hat{u}_t(\alpha_t \bar{Y}_t) - A_t \bar{Y}_t}{S_t}",
       r"\frac{\hat{u}_t(\alpha_t \bar{Y}_t) - A_t \bar{Y}_t}{S_t}"),
    _P("eq3.X_hat", "(3)", 100, 129,
       r"\hat{X}_t(\bar{Y}_t) := \bar{Y}_t - \dot{\rho}_t^{-1} \hat{\varepsilon}_t(\bar{Y}_t)",
       r"\bar{Y}_t - \dot{\rho}_t^{-1} \hat{\varepsilon}_t(\bar{Y}_t)"),
    _P("eq3.diff_eps", "Section 2, after (3)", 102, 131,
       r"\hat{u}_t - u_t = S_t(\hat{\varepsilon}_t - \varepsilon) = -\dot{\rho}_t S_t(\hat{X}_t - X)",
       r"S_t(\hat{\varepsilon}_t - \varepsilon)"),
    _P("eq3.diff_X", "Section 2, after (3)", 102, 131,
       r"\hat{u}_t - u_t = S_t(\hat{\varepsilon}_t - \varepsilon) = -\dot{\rho}_t S_t(\hat{X}_t - X)",
       r"-\dot{\rho}_t S_t(\hat{X}_t - X)"),
    _P("eq3.data_target", "Section 2, after (3)", 103, 132,
       r"u_t = B_t \bar{Y}_t - C_t X", r"B_t \bar{Y}_t - C_t X"),
    _P("eq3.data_S", "Section 2, after (3)", 104, 133, r"S_t := C_t/\dot{\rho}_t", r"C_t/\dot{\rho}_t"),
    _P("s2.kg.omega", "Section 2, last paragraph", 107, 137,
       r"\omega_t = S_t^2/\dot{\lambda}_t'", r"S_t^2/\dot{\lambda}_t'"),
    _P("s2.normal.lambda", "Section 2, Normal", 114, 147,
       r"\hat{\lambda}_t := \Phi^{-1}(t) + 0.4", r"\Phi^{-1}(t) + 0.4"),
    _P("s2.normal.alpha", "Section 2, Normal", 114, 147, r"\alpha_t := 1", r"1"),
    _P("s2.normal.sigma", "Section 2, Normal", 114, 147,
       r"\sigma_t = \exp(-\hat{\lambda}_t)", r"\exp(-\hat{\lambda}_t)"),
    _P("s2.normal.edm2", "Section 2, Normal", 115, 148,
       r"This schedule is used in the EDM2 model (Karras et al., 2024b;a).", hand=_HAND_PROSE),
    _P("s2.logis.alpha", "Section 2, Logis", 117, 151, r"\alpha_t := t", r"t"),
    _P("s2.logis.sigma", "Section 2, Logis", 117, 151, r"\sigma_t := 1 - t", r"1 - t"),
    _P("s2.logis.lambda", "Section 2, Logis", 117, 151,
       r"\hat{\lambda}_t = \log(t/(1 - t))", r"\log(t/(1 - t))"),
    _P("s2.logis.quantile", "Section 2, Logis", 117, 151,
       r"that is, the quantile of the (standard) logistic", hand=_HAND_PROSE),
    _P("s2.sech.alpha", "Section 2, Sech", 122, 157, r"\alpha_t := \sin(\pi t/2)", r"\sin(\pi t/2)"),
    _P("s2.sech.sigma", "Section 2, Sech", 122, 157, r"\sigma_t := \cos(\pi t/2)", r"\cos(\pi t/2)"),
    _P("s2.sech.lambda", "Section 2, Sech", 122, 157,
       r"\hat{\lambda}_t = \log(\tan(\pi t/2))", r"\log(\tan(\pi t/2))"),
    _P("s2.sech.quantile", "Section 2, Sech", 122, 157,
       r"so  $(2/\pi) \hat{\lambda}_t$  is the quantile function", r"(2/\pi) \hat{\lambda}_t"),
    _P("s2.sechinter.lambda", "Section 2, SechInter", 127, 165,
       r"\hat{\lambda}_t := \log(\tan(\pi t/2)) + (\log 16)(t - 1)", r"\log(\tan(\pi t/2)) + (\log 16)(t - 1)"),
    _P("s2.sechinter.alpha", "Section 2, SechInter", 127, 165,
       r"\alpha_t := (1 + \exp(-2\hat{\lambda}_t))^{-1/2}", r"(1 + \exp(-2\hat{\lambda}_t))^{-1/2}"),
    _P("s2.sechinter.sigma2", "Section 2, SechInter", 127, 165,
       r"\sigma_t^2 = 1 - \alpha_t^2", r"1 - \alpha_t^2"),
    _P("s2.param.noise", "Section 2, Noise", 131, 170, r"S_t \equiv 1", r"1"),
    _P("s2.param.data", "Section 2, Data", 135, 175, r"S_t = \hat{\rho}_t^{-1}", r"\hat{\rho}_t^{-1}"),
    _P("s2.param.fpred.target", "Section 2, F-pred", 138, 179,
       r"F_t := \sqrt{4 + \hat{\rho}_t^2} X - \hat{\rho}_t^2 / \sqrt{4 + \hat{\rho}_t^2} Y_t",
       r"\sqrt{4 + \hat{\rho}_t^2} X - \hat{\rho}_t^2 / \sqrt{4 + \hat{\rho}_t^2} Y_t"),
    _P("s2.param.fpred", "Section 2, F-pred", 138, 179,
       r"S_t = \sqrt{4\hat{\rho}_t^{-2} + 1}", r"\sqrt{4\hat{\rho}_t^{-2} + 1}"),
    _P("s2.param.vel.target", "Section 2, Vel", 140, 183,
       r"v_t := \alpha'_t X + \sigma'_t \varepsilon = \alpha'_t \bar{Y}_t - \hat{\lambda}'_t \sigma_t \varepsilon",
       r"\alpha'_t \bar{Y}_t - \hat{\lambda}'_t \sigma_t \varepsilon"),
    _P("s2.param.vel.target1", "Section 2, Vel", 140, 183,
       r"v_t := \alpha'_t X + \sigma'_t \varepsilon = \alpha'_t \bar{Y}_t - \hat{\lambda}'_t \sigma_t \varepsilon",
       r"\alpha'_t X + \sigma'_t \varepsilon"),
    _P("s2.param.vel.prediction", "Section 2, Vel", 141, 184,
       r"\hat{v}_t(\alpha'_t \bar{Y}_t) = \alpha'_t \bar{Y}_t - \hat{\lambda}'_t \sigma_t \hat{\varepsilon}_t(\bar{Y}_t)",
       r"\hat{v}_t(\alpha'_t \bar{Y}_t)"),
    _P("s2.param.vel", "Section 2, Vel", 141, 184, r"S_t = \hat{\lambda}'_t \sigma_t", r"\hat{\lambda}'_t \sigma_t"),
    _P("s2.param.veln", "Section 2, VelN", 146, 190,
       r"S_t := \hat{\lambda}'_t \sigma_t \exp(-\frac{1}{4}(\log \frac{t}{1-t})^2) / ((2\pi)^{1/4} \sqrt{t(1-t)})",
       r"\hat{\lambda}'_t \sigma_t \exp(-\frac{1}{4}(\log \frac{t}{1-t})^2) / ((2\pi)^{1/4} \sqrt{t(1-t)})"),
    _P("s2.param.sigmoid", "Section 2, Sigmoid", 150, 195,
       r"S_t := \sqrt{2\hat{\lambda}'_t / (1 + \exp(2\hat{\lambda}_t + 3))}",
       r"\sqrt{2\hat{\lambda}'_t / (1 + \exp(2\hat{\lambda}_t + 3))}"),
    # ---- Section 3 -------------------------------------------------------------------------------------------
    _P("s3.r", "Section 3", 163, 213, r"r_t = \rho_t \dot{\rho}_t", r"\rho_t \dot{\rho}_t"),
    _P("eq4", "(4)", 166, 217,
       r"\varepsilon_t := \frac{\rho_s}{\rho_t} \varepsilon_s + \sqrt{1 - \frac{\rho_s^2}{\rho_t^2}} \xi_s",
       r"\frac{\rho_s}{\rho_t} \varepsilon_s + \sqrt{1 - \frac{\rho_s^2}{\rho_t^2}} \xi_s"),
    _P("eq5", "(5)", 170, 221,
       r"\rho_t \varepsilon_t = \rho_s \varepsilon_s + \sqrt{\rho_t^2 - \rho_s^2} \xi_s",
       r"\rho_s \varepsilon_s + \sqrt{\rho_t^2 - \rho_s^2} \xi_s"),
    _P("eq5.stationary", "Section 3, after (5)", 171, 223,
       r"From (5), it is clear that  $\varepsilon_t \sim \mathcal{N}(0, I_d)$", hand=_HAND_PROSE),
    _P("eq6.cor", "(6)", 174, 226,
       r"\text{cor}(\varepsilon_{t,j}, \varepsilon_{s,k}) = \mathbf{1}(j = k) \rho_s / \rho_t",
       r"\mathbf{1}(j = k) \rho_s / \rho_t"),
    _P("eq6.var", "(6)", 174, 226,
       r"\mathbb{V}(\varepsilon_{t,j} \mid \varepsilon_{s,k}) = 1 - \mathbf{1}(j = k) \rho_s^2 / \rho_t^2",
       r"1 - \mathbf{1}(j = k) \rho_s^2 / \rho_t^2"),
    _P("eq7.Y", "(7)", 178, 232, r"Y_t := X + \dot{\rho}_t^{-1} \varepsilon_t", r"X + \dot{\rho}_t^{-1} \varepsilon_t"),
    _P("eq7.Z", "(7)", 178, 232,
       r"Z_t := \alpha_t Y_t = \alpha_t X + \sigma_t \varepsilon_t", r"\alpha_t X + \sigma_t \varepsilon_t"),
    _P("eq8", "(8)", 183, 238,
       r"r_t Y_t = r_s Y_s + (r_t - r_s) X + \sqrt{\rho_t^2 - \rho_s^2} \xi_s",
       r"r_s Y_s + (r_t - r_s) X + \sqrt{\rho_t^2 - \rho_s^2} \xi_s"),
    _P("eq9", "(9)", 185, 240,
       r"\frac{\rho_t}{\sigma_t} Z_t = \frac{\rho_s}{\sigma_s} Z_s + (r_t - r_s) X + \sqrt{\rho_t^2 - \rho_s^2} \xi_s",
       r"\frac{\rho_s}{\sigma_s} Z_s + (r_t - r_s) X + \sqrt{\rho_t^2 - \rho_s^2} \xi_s"),
    _P("eq10", "(10)", 194, 251,
       r"r_t \hat{Y}_t := r_s \hat{Y}_s + (r_t - r_s) \hat{X}_s + \sqrt{\rho_t^2 - \rho_s^2} \xi_s",
       r"r_s \hat{Y}_s + (r_t - r_s) \hat{X}_s + \sqrt{\rho_t^2 - \rho_s^2} \xi_s"),
    _P("eq11", "(11)", 200, 258,
       r"r_{t_j} \hat{Y}_{t_j} = r_{t_i} \hat{Y}_{t_i} + (r_{t_{i+1}} - r_{t_i}) \hat{X}_{t_i} + \dots + (r_{t_j} - "
       r"r_{t_{j-1}}) \hat{X}_{t_{j-1}} + \sqrt{\rho_{t_j}^2 - \rho_{t_i}^2} \xi_{t_i}^*",
       hand="an ellipsis over the grid (\\dots): transcribed for j - i = 1..5"),
    _P("eq11.xi_star", "(11), definition of xi*", 203, 262,
       r"\xi_{t_i}^* := \frac{\sqrt{\rho_{t_{i+1}}^2 - \rho_{t_i}^2} \xi_{t_i} + \dots + \sqrt{\rho_{t_j}^2 - "
       r"\rho_{t_{j-1}}^2} \xi_{t_{j-1}}}{\sqrt{\rho_{t_j}^2 - \rho_{t_i}^2}} \sim \mathcal{N}(0, I_d)",
       hand="an ellipsis over the grid (\\dots): transcribed for j - i = 1..5"),
    _P("eq12.noise", "(12)", 210, 268,
       r"r_t \hat{Y}_t = r_s \hat{Y}_s + \int_{r_s}^{r_t} \hat{X}_r(\hat{Y}_r) dr + \sqrt{\rho_t^2 - \rho_s^2} \xi_s^*",
       r"\rho_t^2 - \rho_s^2"),
    _P("eq12.integral", "(12)", 210, 268,
       r"r_t \hat{Y}_t = r_s \hat{Y}_s + \int_{r_s}^{r_t} \hat{X}_r(\hat{Y}_r) dr + \sqrt{\rho_t^2 - \rho_s^2} \xi_s^*",
       hand="a pathwise integral in r: transcribed as the integrator r = rho ring-rho of (12)"),
    _P("s3.uds.q", "Section 3, UDS", 216, 276, r"q_{st} := r_s/r_t", r"r_s/r_t"),
    _P("s3.uds.beta", "Section 3, UDS", 216, 276,
       r"\beta_{st} := \dot{\rho}_t^{-1} \sqrt{1 - \rho_s^2/\rho_t^2}", r"\dot{\rho}_t^{-1} \sqrt{1 - \rho_s^2/\rho_t^2}"),
    _P("eq13", "(13)", 218, 279,
       r"\hat{Y}_t := q_{st} \hat{Y}_s + (1 - q_{st}) \text{APPROX}[\mathbb{E}_{q \sim U(q_{st}, 1)} "
       r"\hat{X}_q(\hat{Y}_q)] + \beta_{st} \xi_s^*",
       hand="an expectation over q ~ U(q_st, 1) of the denoiser: transcribed with an exact integrand"),
    _P("eq14", "(14)", 223, 285,
       r"\hat{Y}_t := q_{st} \hat{Y}_s + (1 - q_{st}) \hat{X}_s(\hat{Y}_s) + \beta_{st} \xi_s^*",
       r"q_{st} \hat{Y}_s + (1 - q_{st}) \hat{X}_s(\hat{Y}_s) + \beta_{st} \xi_s^*"),
    _P("eq15", "(15)", 224, 287,
       r"\hat{Y}_t := q_{st} \hat{Y}_s + (1 - q_{st}) \frac{\hat{X}_s(\hat{Y}_s) + \hat{X}_t(\hat{Y}_t)}{2} + "
       r"\beta_{st} \xi_s^*",
       r"q_{st} \hat{Y}_s + (1 - q_{st}) \frac{\hat{X}_s(\hat{Y}_s) + \hat{X}_t(\hat{Y}_t)}{2} + \beta_{st} \xi_s^*"),
    _P("s3.uds.schemes", "Section 3, after (13)", 219, 281,
       r"In the simplest cases, formula (13)  ", hand="prose: 'formula (13) yields the Euler and Heun schemes' "
                                                       "(the schemes' names only: no order is printed)"),
    _P("s3.remark2.ddpm", "Section 3, remark 2", 229, 293,
       r"\beta_{st} = \dot{\rho}_t^{-1} \sqrt{1 - \rho_s^2/\dot{\rho}_t^2}",
       r"\dot{\rho}_t^{-1} \sqrt{1 - \rho_s^2/\dot{\rho}_t^2}"),
    _P("s3.remark2.ddim", "Section 3, remark 2", 230, 294, r"\beta_{st} = 0", r"0"),
    # ---- Section 4 -------------------------------------------------------------------------------------------
    _P("s4.p_std", "Section 4.1, p_t", 261, 327,
       r"\mathcal{N}\left(z_t|\mu_s(z_s, x), \sigma_t \sqrt{1 - \rho_s^2/\rho_t^2} I_d\right)",
       r"\sigma_t \sqrt{1 - \rho_s^2/\rho_t^2}"),
    _P("s4.mu1", "Section 4.1, mu_s", 263, 329,
       r"\mu_s(z_s, x) := \frac{\sigma_t \rho_s}{\sigma_s \rho_t} z_s + \frac{\sigma_t}{\rho_t} (\rho_t \dot{\rho}_t - "
       r"\rho_s \dot{\rho}_s) X",
       r"\frac{\sigma_t \rho_s}{\sigma_s \rho_t} z_s + \frac{\sigma_t}{\rho_t} (\rho_t \dot{\rho}_t - \rho_s \dot{\rho}_s) X"),
    _P("s4.mu2", "Section 4.1, mu_s", 263, 329,
       r"\frac{\alpha_t}{\alpha_s} z_s - \sigma_t \left( \frac{\dot{\rho}_t}{\dot{\rho}_s} - \frac{\rho_s}{\rho_t} \right) "
       r"\varepsilon_s",
       r"\frac{\alpha_t}{\alpha_s} z_s - \sigma_t \left( \frac{\dot{\rho}_t}{\dot{\rho}_s} - \frac{\rho_s}{\rho_t} \right) "
       r"\varepsilon_s"),
    _P("s4.mu_hat1", "Section 4.1, mu_hat_s", 269, 335,
       r"\hat{\mu}_s(z_s) := \frac{\sigma_t \rho_s}{\sigma_s \rho_t} z_s + \frac{\sigma_t}{\rho_t} (\rho_t \dot{\rho}_t - "
       r"\rho_s \dot{\rho}_s) \hat{X}_s",
       r"\frac{\sigma_t \rho_s}{\sigma_s \rho_t} z_s + \frac{\sigma_t}{\rho_t} (\rho_t \dot{\rho}_t - \rho_s \dot{\rho}_s) "
       r"\hat{X}_s"),
    _P("s4.mu_hat2", "Section 4.1, mu_hat_s", 269, 335,
       r"\frac{\alpha_t}{\alpha_s} z_s - \sigma_t \left( \frac{\dot{\rho}_t}{\dot{\rho}_s} - \frac{\rho_s}{\rho_t} \right) "
       r"\hat{\varepsilon}_s",
       r"\frac{\alpha_t}{\alpha_s} z_s - \sigma_t \left( \frac{\dot{\rho}_t}{\dot{\rho}_s} - \frac{\rho_s}{\rho_t} \right) "
       r"\hat{\varepsilon}_s"),
    _P("eq17.kl", "(17)", 271, 342,
       r"\frac{\|\mu_s(z_s, x) - \hat{\mu}_s(z_s)\|^2}{2\sigma_t^2(1 - \rho_s^2/\rho_t^2)}",
       r"\frac{\|\mu_s(z_s, x) - \hat{\mu}_s(z_s)\|^2}{2\sigma_t^2(1 - \rho_s^2/\rho_t^2)}"),
    _P("eq17.w", "(17)", 271, 342,
       r"w_s^N := \frac{(\hat{\rho}_t/\rho_s - \rho_s/\rho_t)^2}{2(1 - \rho_s^2/\rho_t^2)}",
       r"\frac{(\hat{\rho}_t/\rho_s - \rho_s/\rho_t)^2}{2(1 - \rho_s^2/\rho_t^2)}"),
    _P("eq18", "(18)", 278, 355,
       r"\mathbb{D}[p_{t_0:t,x}^N \parallel \hat{p}_{t_0:t,x}^N] = \mathbb{D}[p_x \parallel \hat{p}_x^N] + \mathbb{E}_X "
       r"\mathbb{D}[p_{t_0:t}^N(\cdot|X) \parallel \hat{p}_{t_0:t}^N(\cdot|X)]",
       hand="divergences of path distributions: transcribed as the sum of two named terms"),
    _P("eq19", "(19)", 278, 357,
       r"\mathbb{D}[p_{t_0:t,x}^N \parallel \hat{p}_{t_0:t,x}^N] = \hat{\mathcal{L}}^N(t_0, t, \hat{\lambda}, \lambda) + "
       r"\bar{\mathcal{B}}(t_0, t)",
       hand="divergences of path distributions: transcribed as the sum of two named terms"),
    _P("eq21", "(21)", 284, 371,
       r"\hat{\mathcal{L}}^N(t_0, t, \hat{\lambda}, \lambda) = \sum_{i=0}^{N-1} w_{t_i}^N \mathbb{E}_\varepsilon "
       r"\|\hat{\varepsilon}_{t_i} - \varepsilon\|^2",
       hand="a sum over the grid of expectations: evaluated numerically with w^N of (17)"),
    _P("eq23", "(23)", 288, 381,
       r"\frac{(\lambda'_\tau + \hat{\lambda}'_\tau)^2}{4\lambda'_\tau}",
       r"\frac{(\lambda'_\tau + \hat{\lambda}'_\tau)^2}{4\lambda'_\tau}"),
    _P("eq24.lhs", "(24)", 292, 391,
       r"\frac{(\lambda'_t + \hat{\lambda}'_t)^2}{4\lambda'_t} = \hat{\lambda}'_t + \frac{1}{4}\chi^2(\lambda'_t, "
       r"\hat{\lambda}'_t)", r"\frac{(\lambda'_t + \hat{\lambda}'_t)^2}{4\lambda'_t}"),
    _P("eq24.rhs", "(24)", 292, 391,
       r"\frac{(\lambda'_t + \hat{\lambda}'_t)^2}{4\lambda'_t} = \hat{\lambda}'_t + \frac{1}{4}\chi^2(\lambda'_t, "
       r"\hat{\lambda}'_t)", r"\hat{\lambda}'_t + \frac{1}{4}\chi^2(\lambda'_t, \hat{\lambda}'_t)"),
    _P("eq24.chi2", "(24)", 292, 391,
       r"\chi^2(\lambda'_t, \hat{\lambda}'_t) := \frac{(\lambda'_t - \hat{\lambda}'_t)^2}{\lambda'_t}",
       r"\frac{(\lambda'_t - \hat{\lambda}'_t)^2}{\lambda'_t}"),
    _P("eq25", "(25)", 299, 402,
       r"\hat{\lambda}'_\tau + \frac{\chi^2(\lambda'_\tau, \hat{\lambda}'_\tau) + c_t \lambda'_\tau}{4}",
       r"\hat{\lambda}'_\tau + \frac{\chi^2(\lambda'_\tau, \hat{\lambda}'_\tau) + c_t \lambda'_\tau}{4}"),
    _P("eq26", "(26)", 326, 407,
       r"\lambda'_{c,t} := \dot{\lambda}'_t / \sqrt{1 + c_t}", r"\dot{\lambda}'_t / \sqrt{1 + c_t}"),
    _P("eq26.ml", "Section 4.2, after (26)", 328, 409,
       r"If  $c_t = 0$ , then we obtain the",
       hand="prose: c = 0 gives the ML (reversible) diffusion, lambda' = ring-lambda'"),
    _P("eq26.flow", "Section 4.2, after (26)", 330, 411,
       r"If  $c_t \rightarrow \infty$ ,", hand="prose: 'then lambda'_{c,t} -> 0'; the limit is 0"),
    # ---- Section 5 -------------------------------------------------------------------------------------------
    _P("eq27.lhs", "(27)", 343, 424,
       r"S_t^2 \|\hat{\varepsilon}_t(\bar{Y}_t) - \varepsilon_t\|^2", r"S_t^2 \|\hat{\varepsilon}_t(\bar{Y}_t) - \varepsilon_t\|^2"),
    _P("eq27.rhs", "(27)", 343, 424,
       r"\|\hat{u}_t(\alpha_t \bar{Y}_t) - u_t\|^2", r"\|\hat{u}_t(\alpha_t \bar{Y}_t) - u_t\|^2"),
    _P("eq28", "(28)", 349, 432,
       r"\hat{\mathcal{L}}(t_0, t, \dot{\lambda}', \lambda'_c) = M \hat{\mathcal{M}}(t_0, t, \dot{\lambda}, S)",
       hand="an identity of the functionals (23) and (27) for all t: transcribed as their integrals"),
    _P("eq29", "(29)", 355, 440,
       r"M := \max_{t \in [t_0, t_{max}]} \dot{\lambda}'_t / S_t^2", r"\dot{\lambda}'_t / S_t^2"),
    _P("eq30", "(30)", 358, 444,
       r"\lambda'_{t,c} = \left( \sqrt{MS_t} - \sqrt{MS_t^2 - \dot{\lambda}'_t} \right)^2",
       r"\left( \sqrt{MS_t} - \sqrt{MS_t^2 - \dot{\lambda}'_t} \right)^2"),
    _P("eq30.radicand", "(30)", 358, 444,
       r"\lambda'_{t,c} = \left( \sqrt{MS_t} - \sqrt{MS_t^2 - \dot{\lambda}'_t} \right)^2", r"MS_t^2 - \dot{\lambda}'_t"),
    _P("s5.example.rate", "Section 5, Example", 363, 450, r"\dot{\lambda}'_t = 1/[t(1 - t)]", r"1/[t(1 - t)]"),
    _P("s5.example.S", "Section 5, Example", 363, 450, r"S_t = 1/t", r"1/t"),
    _P("s5.example.g", "Section 5, Example", 363, 450,
       r"g_t := \sqrt{(t_{max} - t)/(t_{max}(1 - t))}", r"\sqrt{(t_{max} - t)/(t_{max}(1 - t))}"),
    _P("s5.example.M", "Section 5, Example", 364, 452, r"M = t_{max}/(1 - t_{max})", r"t_{max}/(1 - t_{max})"),
    _P("s5.example.check_rate", "Section 5, Example", 365, 454,
       r"\check{\lambda}'_t = \left( \sqrt{M} - \sqrt{M - t/(1 - t)} \right)^2 / t^2",
       r"\left( \sqrt{M} - \sqrt{M - t/(1 - t)} \right)^2 / t^2"),
    _P("s5.example.compact", "Section 5, Example", 368, 458,
       r"\check{\lambda}'_t = -\log\left(\frac{t}{1-t}\right) - \log\left(\frac{1+g_t}{1-g_t}\right) + "
       r"\frac{2t_{max}}{(1-t_{max})} \frac{1-t}{t} (g_t - 1) + const",
       r"-\log\left(\frac{t}{1-t}\right) - \log\left(\frac{1+g_t}{1-g_t}\right) + "
       r"\frac{2t_{max}}{(1-t_{max})} \frac{1-t}{t} (g_t - 1)"),
    _P("s5.example.compact_lhs", "Section 5, Example", 368, 458,
       r"\check{\lambda}'_t = -\log\left(\frac{t}{1-t}\right)",
       hand="the left-hand side names the function: check-lambda with one prime (the order of the derivative)"),
    _P("s5.discrete.eta", "Section 5, Discrete time", 379, 461,
       r"\eta_{st} := \sqrt{1 - \rho_s^2/\rho_t^2} = \dot{\rho}_t \beta_{st}", r"\sqrt{1 - \rho_s^2/\rho_t^2}"),
    _P("s5.discrete.w", "Section 5, Discrete time", 384, 469,
       r"w_t^N(\eta_{st}) = \frac{1}{\eta_{st}^2} \left( \sqrt{\gamma_{st}} - \sqrt{1 - \eta_{st}^2} \right)^2",
       r"\frac{1}{\eta_{st}^2} \left( \sqrt{\gamma_{st}} - \sqrt{1 - \eta_{st}^2} \right)^2"),
    _P("s5.discrete.gamma", "Section 5, Discrete time", 384, 469,
       r"\gamma_{st} := \dot{\rho}_t^2/\dot{\rho}_s^2", r"\dot{\rho}_t^2/\dot{\rho}_s^2"),
    _P("s5.discrete.argmin", "Section 5, Discrete time", 386, 473,
       r"\dot{\eta}_{st} := \arg \min_{\eta} w_t^2(\eta) = \sqrt{1 - \gamma_{st}^{-1}}", r"\sqrt{1 - \gamma_{st}^{-1}}"),
    _P("s5.discrete.argmin_objective", "Section 5, Discrete time", 386, 473,
       r"\dot{\eta}_{st} := \arg \min_{\eta} w_t^2(\eta)",
       hand="an argmin: the objective w_t^2(eta) is read literally as the square of w_t^N(eta)"),
    _P("s5.discrete.check_eta", "Section 5, Discrete time", 388, 477,
       r"\check{\eta}_{st} = \frac{\gamma_{st} - 1}{\sqrt{2MS_t^2\gamma_{st}} + \sqrt{2MS_t^2 + 1 - \gamma_{st}}}",
       r"\frac{\gamma_{st} - 1}{\sqrt{2MS_t^2\gamma_{st}} + \sqrt{2MS_t^2 + 1 - \gamma_{st}}}"),
    _P("s5.discrete.check_eta.radicand", "Section 5, Discrete time", 388, 477,
       r"\check{\eta}_{st} = \frac{\gamma_{st} - 1}{\sqrt{2MS_t^2\gamma_{st}} + \sqrt{2MS_t^2 + 1 - \gamma_{st}}}",
       r"2MS_t^2 + 1 - \gamma_{st}"),
    _P("s5.discrete.M", "Section 5, Discrete time", 388, 477,
       r"M := \max_{t \in \{t_0, \dots, t_{max}\}} (\gamma_{st} - 1)/(2S_t^2)", r"(\gamma_{st} - 1)/(2S_t^2)"),
    _P("s5.discrete.approx", "Section 5, end", 390, 480,
       r"2\Delta t \lambda'_t \approx \eta_{t-\Delta t, t}^2", r"2\Delta t \lambda'_t"),
    # ---- Appendix A: proofs of Propositions 2 and 3, SDE ------------------------------------------------------
    _P("eq31", "(31)", 602, 703,
       r"\left( \frac{r_s - r_t}{\Delta t} \hat{Y}_s + \frac{r_t - r_s}{\Delta t} \hat{X}_s \right) \Delta t + "
       r"\dot{\rho}_t^{-1} \sqrt{\frac{\rho_t^2 - \rho_s^2}{\Delta t \rho_t^2}} \sqrt{\Delta t} \xi_s^*",
       r"\left( \frac{r_s - r_t}{\Delta t} \hat{Y}_s + \frac{r_t - r_s}{\Delta t} \hat{X}_s \right) \Delta t + "
       r"\dot{\rho}_t^{-1} \sqrt{\frac{\rho_t^2 - \rho_s^2}{\Delta t \rho_t^2}} \sqrt{\Delta t} \xi_s^*"),
    _P("eq32.left", "(32)", 606, 711,
       r"\frac{r_t - r_s}{\Delta t r_t} = (\log r_t)'(1 + \delta_1)", r"(\log r_t)'"),
    _P("eq32.right", "(32)", 606, 711,
       r"\frac{\rho_t - \rho_s}{\Delta t \rho_t} \frac{\rho_t + \rho_s}{\rho_t} = 2(\log \rho_t)'(1 + \delta_2)",
       r"2(\log \rho_t)'"),
    _P("eq33.drift", "(33)", 610, 719,
       r"(\log r_t)' (\hat{X}_t - \hat{Y}_t) \Delta t + \dot{\rho}_t^{-1} \sqrt{2(\log \rho_t)'} \sqrt{\Delta t} \xi_s^*",
       r"(\log r_t)'"),
    _P("eq33.noise", "(33)", 610, 719,
       r"(\log r_t)' (\hat{X}_t - \hat{Y}_t) \Delta t + \dot{\rho}_t^{-1} \sqrt{2(\log \rho_t)'} \sqrt{\Delta t} \xi_s^*",
       r"\dot{\rho}_t^{-1} \sqrt{2(\log \rho_t)'}"),
    _P("eq34.drift", "(34)", 616, 729,
       r"d\hat{Y}_t = (\log r_t)' (\hat{X}_t - \hat{Y}_t) dt + \dot{\rho}_t^{-1} \sqrt{2(\log \rho_t)'} dW_t",
       r"(\log r_t)' (\hat{X}_t - \hat{Y}_t)"),
    _P("eq34.noise", "(34)", 616, 729,
       r"d\hat{Y}_t = (\log r_t)' (\hat{X}_t - \hat{Y}_t) dt + \dot{\rho}_t^{-1} \sqrt{2(\log \rho_t)'} dW_t",
       r"\dot{\rho}_t^{-1} \sqrt{2(\log \rho_t)'}"),
    _P("eq35.drift", "(35)", 618, 733,
       r"= (\lambda'_t + \dot{\lambda}'_t) (\hat{X}_t - \hat{Y}_t) dt + \dot{\rho}_t^{-1} \sqrt{2\lambda'_t} dW_t",
       r"(\lambda'_t + \dot{\lambda}'_t) (\hat{X}_t - \hat{Y}_t)"),
    _P("eq35.noise", "(35)", 618, 733,
       r"= (\lambda'_t + \dot{\lambda}'_t) (\hat{X}_t - \hat{Y}_t) dt + \dot{\rho}_t^{-1} \sqrt{2\lambda'_t} dW_t",
       r"\dot{\rho}_t^{-1} \sqrt{2\lambda'_t}"),
    _P("eq36.drift", "(36)", 620, 737,
       r"= \dot{\rho}_t^{-1} (\lambda'_t + \dot{\lambda}'_t) \hat{\varepsilon}_t dt + \dot{\rho}_t^{-1} \sqrt{2\lambda'_t} dW_t",
       r"\dot{\rho}_t^{-1} (\lambda'_t + \dot{\lambda}'_t) \hat{\varepsilon}_t"),
    _P("eq36.noise", "(36)", 620, 737,
       r"= \dot{\rho}_t^{-1} (\lambda'_t + \dot{\lambda}'_t) \hat{\varepsilon}_t dt + \dot{\rho}_t^{-1} \sqrt{2\lambda'_t} dW_t",
       r"\dot{\rho}_t^{-1} \sqrt{2\lambda'_t}"),
    _P("eq37.drift", "(37)", 624, 745,
       r"r_s d\tilde{Y}_t = r'_t \hat{X}_t dt + \rho_t \sqrt{2(\log \rho_t)'} dW_t", r"r'_t \hat{X}_t"),
    _P("eq37.noise", "(37)", 624, 745,
       r"r_s d\tilde{Y}_t = r'_t \hat{X}_t dt + \rho_t \sqrt{2(\log \rho_t)'} dW_t", r"\rho_t \sqrt{2(\log \rho_t)'}"),
    _P("eq40.first", "(40)", 649, 786,
       r"\left( \frac{\dot{\rho}_t - \dot{\rho}_s}{\Delta\tau \dot{\rho}_s} + \frac{\rho_t - \rho_s}{\Delta\tau \rho_t} "
       r"\right)^2 \Big/ \left( 2 \frac{\rho_t - \rho_s}{\Delta\tau \rho_t} \frac{\rho_t + \rho_s}{\rho_t} \right)",
       r"\left( \frac{\dot{\rho}_t - \dot{\rho}_s}{\Delta\tau \dot{\rho}_s} + \frac{\rho_t - \rho_s}{\Delta\tau \rho_t} "
       r"\right)^2 \Big/ \left( 2 \frac{\rho_t - \rho_s}{\Delta\tau \rho_t} \frac{\rho_t + \rho_s}{\rho_t} \right)"),
    _P("eq40.wbar", "(40)", 649, 786,
       r"\bar{w}_t := \frac{(\lambda'_t + \dot{\lambda}'_t)^2}{4 \lambda'_t}", r"\frac{(\lambda'_t + \dot{\lambda}'_t)^2}{4 \lambda'_t}"),
    _P("sA.prop3.s", "Proof of Proposition 3", 660, 802, r"s := \sqrt{MS_t}", r"\sqrt{MS_t}"),
    _P("eq42", "(42)", 662, 805,
       r"\frac{(\beta + \dot{\beta})^2}{4\beta} = MS_t^2 = s^2", r"\frac{(\beta + \dot{\beta})^2}{4\beta}"),
    _P("eq42.s2", "(42)", 662, 805, r"\frac{(\beta + \dot{\beta})^2}{4\beta} = MS_t^2 = s^2", r"MS_t^2"),
    _P("eq42.s2b", "(42)", 662, 805, r"\frac{(\beta + \dot{\beta})^2}{4\beta} = MS_t^2 = s^2", r"s^2"),
    _P("eq43.minus", "(43)", 665, 810,
       r"\beta_- = \left( s - \sqrt{s^2 - \dot{\beta}} \right)^2", r"\left( s - \sqrt{s^2 - \dot{\beta}} \right)^2"),
    _P("eq43.plus", "(43)", 665, 810,
       r"\beta_+ = \left( s + \sqrt{s^2 - \dot{\beta}} \right)^2", r"\left( s + \sqrt{s^2 - \dot{\beta}} \right)^2"),
    _P("sA.prop3.product", "Proof of Proposition 3", 666, 812, r"\beta_- \beta_+ = \dot{\beta}^2", r"\dot{\beta}^2"),
    _P("sA.prop3.c_minus", "Proof of Proposition 3", 667, 813,
       r"c_- = (\dot{\beta}/\beta_-)^2 - 1", r"(\dot{\beta}/\beta_-)^2 - 1"),
    _P("sA.prop3.c_plus", "Proof of Proposition 3", 667, 813,
       r"c_+ = (\dot{\beta}/\beta_+)^2 - 1", r"(\dot{\beta}/\beta_+)^2 - 1"),
    _P("sA.prop3.admissible", "Proof of Proposition 3", 668, 814,
       r"Hence only  $\beta_-$  optimizes the penalized maximum likelihood objective.", hand=_HAND_PROSE),
    # ==== Section 6 (experiment and discussion) =================================================================
    # Text lines 482-534 of the extraction.  The review copy prints its line numbers (397-431) before the first
    # paragraphs only; the paragraph "MSE-diffusions are nearly flows", Figure 1's caption and Table 1 carry none
    # (line ""), and are cited by their text line.  Statements are prose: each is transcribed by hand in the
    # Section 6 claims (verify/claims/section6.py), which show the verbatim text beside it.
    _P("s6.size_notation", "Section 6, opening", 400, 486,
       r"Let  $ML(\dot{\rho}_t)$  and  $MSE(\dot{\rho}_t, S_t)$  denote the diffusion size  $\beta_{t-\Delta t, t}$  "
       r"for ML-diffusion and MSE-", hand=_HAND_PROSE),
    _P("s6.heading", "Section 6, paragraph heading", 402, 489,
       "**Current open-source SOTA \u201cdiffusion models\u201d generate deterministic flows.**", hand=_HAND_PROSE),
    _P("s6.dit.ddpm", "Section 6, DiT-based models", 409, 497,
       r"The original DiT employed the noise schedule, parame-",
       hand="prose, continued on text line 498: 'terization, and generator from DDPM'"),
    _P("s6.later.logis_vel", "Section 6, DiT-based models", 410, 498,
       r"whereas the later models use the *Logis* noise schedule and",
       hand="prose, continued on text line 499: '*Vel* parameterization'"),
    _P("s6.dit.ml_logis", "Section 6, DiT-based models", 412, 500,
       r"initially, a reversible diffusion  $ML(\text{Logis})$  generator from DDPM was used (DiT)", hand=_HAND_PROSE),
    _P("s6.repa.rate", "Section 6, DiT-based models", 413, 501,
       r"diffusion  $REPA(\text{Logis})$  generator defined by  $\lambda'_t = 1/(2t)$  was adopted (SiT, REPA, REPA-E)",
       r"1/(2t)"),
    _P("s6.rae.flow", "Section 6, DiT-based models", 414, 502,
       r"finally, a deterministic flow  $\beta_{t-\Delta t, t} = 0 \approx MSE(\text{Logis}, \text{Vel})$  emerged (RAE)",
       r"0"),
    _P("s6.dit_models.flows", "Section 6, DiT-based models", 418, 506,
       r"All of them generate flows. The SD3 and LightningDiT models use the *Logis* noise", hand=_HAND_PROSE),
    _P("s6.sd3_light.veln", "Section 6, DiT-based models", 419, 507,
       r"schedule and *VelLN* parameterization resulting from the use of importance sampling in velocity",
       hand=_HAND_PROSE),
    _P("s6.pixart", "Section 6, DiT-based models", 420, 508,
       r"while PixArt uses a beta-linear noise schedule and *Noise* parameterization", hand=_HAND_PROSE),
    _P("s6.dit.latest_flows", "Section 6, DiT-based models", 421, 509,
       "the latest SOTA \u201cdiffusion models\u201d based on DiT generate deterministic flows.", hand=_HAND_PROSE),
    _P("s6.edm.normal", "Section 6, U-Net-based models", 426, 515,
       r"et al., 2022) and EDM2 (Karras et al., 2024b;a). These models use a *Normal* noise schedule,",
       hand=_HAND_PROSE),
    _P("s6.edm.fpred_flows", "Section 6, U-Net-based models", 427, 516,
       "*F \u2013 pred* parameterization, and generate flows.", hand=_HAND_PROSE),
    _P("s6.sid.sechinter", "Section 6, U-Net-based models", 429, 518,
       r"a *SechInter* noise schedule and noise and sigmoid parameterization, respectively.", hand=_HAND_PROSE),
    _P("s6.sid.reversible", "Section 6, U-Net-based models", 430, 519,
       "only SOTA \u201cdiffusion models\u201d known to us that generate reversible diffusion (approximately, due to",
       hand="prose, continued on text line 520: 'interpolation between the prior and posterior variance)'"),
    _P("s6.fig1.near_zero", "Section 6, MSE-diffusions are nearly flows", None, 522,
       r"It can be observed that the MSE-diffusion is close to zero for all models except at the initial stage of "
       r"generation", hand=_HAND_PROSE),
    _P("s6.fig1.sizes", "Section 6, MSE-diffusions are nearly flows", None, 522,
       r"In the later stages of generation, the diffusion size is below 1% in all models, with the exception of EDM2, "
       r"where it remains at 5% of the image size.", hand=_HAND_PROSE),
    _P("s6.table1.setup", "Section 6, MSE-diffusions are nearly flows", None, 522,
       r"We conducted an experiment comparing generators in the EDM2 environment using version S with CFG, applying "
       r"all settings including the selection of time steps, specific to this model.", hand=_HAND_PROSE),
    _P("s6.table1.text", "Section 6, MSE-diffusions are nearly flows", None, 522,
       "As expected, the MSE-diffusion performs nearly like a flow, whereas HeunUDS (15) in the flow version performs "
       "worse than the original HeunEDM2\u2014likely due to the choice of the EDM2 non-uniform time grid.",
       hand=_HAND_PROSE),
    _P("s6.fig1.edm2", "Figure 1, caption", None, 527,
       r"In the case of EDM2, the generator uses only 32 steps on a non-uniform grid, which we have marked with dots.",
       hand=_HAND_PROSE),
    _P("s6.fig1.uniform", "Figure 1, caption", None, 527,
       r"In all other cases, the generators operate on a uniform grid, with default settings of 250 steps for RAE and "
       r"LightningDiT, and 512 steps for SiD2.", hand=_HAND_PROSE),
    _P("s6.table1.header", "Table 1", None, 529,
       "NFE\tHeunEDM2 Flow\tHeunUDS, eq. (15)\t\t\tEulerUDS, eq. (14)\t\t",
       hand="a table row (tab-separated; the second header row on text line 530 is Flow MSE ML under each sampler)"),
    _P("s6.table1.row63", "Table 1", None, 531, "63\t2.28\t2.45\t2.45\t3.39\t2.81\t2.84\t4.30",
       hand="a table row of numbers (tab-separated), read by splitting at the tabs"),
    _P("s6.table1.row255", "Table 1", None, 532, "255\t2.26\t2.27\t2.28\t2.71\t2.34\t2.36\t2.84",
       hand="a table row of numbers (tab-separated), read by splitting at the tabs"),
    _P("s6.table1.caption", "Table 1, caption", None, 534,
       r"We compute FID 5 times in each experiment and report the mean.", hand=_HAND_PROSE),
    # ---- The thesis (abstract-level summary and conclusion): what mechanism-trained measures ----------------------
    _P("s1.thesis", "Section 1 (Introduction), contributions (1)", 48, 46,
       "of SOTA models is an implementation of KL minimization for MSE-diffusions,",
       hand="prose, continued from text line 45 ('Therefore, flows beat reversible diffusions because training') to "
            "text line 47 ('which are nearly flows. The models that succeed are the ones that are really trained.')"),
    _P("s6.conclusion", "Section 6, Conclusion", None, 538,
       "**Conclusion.** SOTA models learn MSE-diffusions; MSE-diffusions are nearly flows; flow generators beat "
       "reversible diffusions. The models that succeed are the ones that are really trained.", hand=_HAND_PROSE),
)

PAPER: dict[str, Printed] = {}
for _e in ENTRIES:
    if _e.id in PAPER:
        raise ValueError(f"paper text {_e.id} is listed twice")
    PAPER[_e.id] = _e


def entry(pid: str) -> Printed:
    try:
        return PAPER[pid]
    except KeyError:
        raise KeyError(f"no paper text {pid!r}") from None


def printed(pid: str, namespace: dict) -> sp.Expr:
    """The printed formula ``pid`` read into SymPy in the claim's ``namespace`` (see :mod:`verify.reading`)."""
    e = entry(pid)
    if e.latex is None:
        raise ReadingError(f"paper text {pid} is transcribed by hand ({e.hand}); the claim supplies it")
    return parse_printed(e.latex, namespace)


def applications(pid: str) -> tuple:
    """The (function symbol, argument LaTeX) pairs of a printed formula (rule "applications")."""
    return read(entry(pid).latex).applications


def sources_record(sources) -> dict:
    """{printed key: [paper-text records]} for a claim's ``sources`` mapping."""
    out = {}
    for key, ids in (sources or {}).items():
        ids = (ids,) if isinstance(ids, str) else tuple(ids)
        out[key] = [entry(i).record() for i in ids]
    return out
