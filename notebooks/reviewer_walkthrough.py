# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: -all
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Reviewer walkthrough: is this formula right, and how do we know?
#
# The `fbd-verify` ledger checks every claim of *Flows beat diffusions on image synthesis* (forward time:
# t = 0 noise, t = 1 data; ring-rho = alpha/sigma, ring-lambda = log ring-rho). Each claim compares the form
# the paper *prints* (its verbatim LaTeX, read by SymPy's LaTeX parser) with an independent derivation, by
# an exact symbolic route and a 50-digit numerical route, or measures what cannot be proved symbolically
# (convergence orders and constants, sampler distances).
#
# One notebook per part of the paper:
#
# - [Section 2](section2.ipynb): the estimators, the noise schedules, the parameterizations, Kingma & Gao's weights
# - [Section 3](section3.ipynb): the diffusion, the generator, the UDS, the DDPM/DDIM equivalences, solver orders
# - [Section 4](section4.ipynb): the KL, Propositions 1 and 2 with their convergence plots, penalized ML
# - [Section 5 and Appendix A](section5_appendix_a.ipynb): MSE-diffusion, discrete time, the SDE forms, the errata
# - [Section 6](section6.ipynb): the experiment's figures and tables
#
# Execute them all and write HTML copies: `python -m verify notebooks --html notebooks_html`
# (`--quick` for a fast pass, `--update` to refresh these .ipynb files with their outputs).

# %%
from IPython.display import display

import verify.notebook_display as nd

display(nd.mode_line(), nd.legend())

# %% [markdown]
# ## The claims, by section, and the notebook that shows them

# %%
display(nd.catalogue())

# %% [markdown]
# ## One claim, end to end
#
# `param-vel`: the velocity parameterization of Section 2. The ledger reads the printed forms from the
# paper's LaTeX, derives `S_t` from the velocity target's own definition, and compares.

# %%
display(*nd.show_claim("param-vel"))

# %% [markdown]
# ## Every check can fail
#
# Perturb the accepted form (flip its sign, scale it by 2, swap two of its symbols) and the same check
# rejects it (`failed`): a verdict is not a rubber stamp. The test suite does this for every claim
# (`tests/test_mutations.py`).

# %%
display(nd.perturbation_table("param-vel"))
