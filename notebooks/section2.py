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
# # Section 2: the denoiser, the noise schedules, the parameterizations, Kingma & Gao's weights
#
# What Section 2 of *Flows beat diffusions on image synthesis* prints, checked by the `fbd-verify` ledger:
# the estimators of (3), the four noise schedules (Normal, Logis, Sech, SechInter), the parameterizations
# `S_t` of the usual training targets (Noise, Data, F-pred, Vel, VelN, Sigmoid), and the claim that the
# weight `omega_t` of the last paragraph is Kingma & Gao's weighting `w(lambda)`.
#
# Forward time: t = 0 is noise, t = 1 is data; ring-rho = alpha/sigma and ring-lambda = log ring-rho.
# For each claim: the paper's verbatim LaTeX with its line, the form read from it, the independent
# derivation, their comparison (exact symbolic route and 50-digit numbers), the verdict, and for an erratum
# its kind and the argument for it. Every formula shown comes from the library (`verify.claims`,
# `derivations`); nothing is typed into this notebook.

# %%
from IPython.display import display

import verify.notebook_display as nd

display(nd.mode_line(), nd.legend())

# %% [markdown]
# ## Running the claims of Section 2
#
# The claims run as the ledger runs them (`python -m verify --only ...`): in worker processes, each with its
# time limit. One line per claim as it finishes.

# %%
records = nd.run_section("2", quick_ids=["schedule-logis", "param-data", "param-vel"])
display(nd.summary(records))

# %% [markdown]
# ## The estimators (3)

# %%
display(*nd.show(records, "eq3-estimators"))

# %% [markdown]
# ## The noise schedules
#
# Each schedule's alpha, sigma and ring-lambda as printed, checked for consistency
# (log(alpha/sigma) = ring-lambda) and against the distribution the paper names for it.

# %%
display(*nd.show(records, "schedule-*"))

# %% [markdown]
# ## The parameterizations S_t
#
# `S_t` is derived from each target's definition (`u_hat - u = S_t (eps_hat - eps)`) for a generic pair
# alpha(t), sigma(t) and for every registered schedule. The printed `S_t` of Data, F-pred, Vel and VelN is
# the derived one up to its sign: a *convention* erratum (only `S_t^2` is used later), with the lines that
# show it in the evidence below.

# %%
display(*nd.show(records, "param-*"))

# %% [markdown]
# ## Kingma & Gao's weights
#
# `omega_t = S_t^2 / ring-lambda'_t` for each (schedule, parameterization) pair, against Kingma & Gao's
# weighting derived from their own objective definitions; the plot draws the claim's `w(lambda)` for the
# pairs it matches with a row of Kingma & Gao's Table 1.

# %%
display(*nd.show(records, "kg-weights"))

# %% [markdown]
# ## The errata of Section 2, by kind

# %%
display(nd.errata_table(records))
