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
# # Section 3: the diffusion, the generator, the Universal Diffusion Solver (UDS)
#
# What Section 3 prints, checked by the `fbd-verify` ledger: the noise process (4)-(6), the oracle
# recursions (8)-(9), the generator (10)-(11) and its pathwise limit (12), the UDS step (13) with its Euler
# and Heun forms (14)-(15), Remark 2's equivalences (EulerUDS is a DDPM step for reversible diffusions and a
# DDIM step for the flow), and the solvers' measured orders on Gaussian data.
#
# Symbolic claims compare the printed form with an independent derivation; the torch claims run the UDS with
# the coefficients read from the printed (13) and measure (one-step agreement with DDPM/DDIM, global and weak
# orders, distance to the data against the number of function evaluations). Every formula and number shown
# comes from the library.

# %%
from IPython.display import display

import verify.notebook_display as nd

display(nd.mode_line(), nd.legend())

# %% [markdown]
# ## Running the claims of Section 3

# %%
records = nd.run_section("3", quick_ids=["uds-ddpm", "uds-ddim", "uds-orders"])
display(nd.summary(records))

# %% [markdown]
# ## The noise process and the oracle: (4)-(9)

# %%
display(*nd.show(records, "eq5-eq6", "eq8-eq9"))

# %% [markdown]
# ## The generator (10)-(11) and its pathwise limit (12)
#
# `eq12` measures, at mpmath precision, that the sums (11) converge at first order to the integral (12).

# %%
display(*nd.show(records, "eq11", "eq12"))

# %% [markdown]
# ## The UDS step (13) and its Euler and Heun forms (14)-(15)

# %%
display(*nd.show(records, "eq13-uds", "uds-euler-heun"))

# %% [markdown]
# ## Remark 2: EulerUDS is a DDPM step (reversible diffusion) and a DDIM step (the flow)
#
# Symbolically (`uds-ddpm`, `uds-ddim`) and numerically, one step on Gaussian-mixture data for every
# registered schedule (`uds-ddpm-numeric`, `uds-ddim-numeric`).

# %%
display(*nd.show(records, "uds-ddpm", "uds-ddim", "uds-ddpm-numeric", "uds-ddim-numeric"))

# %% [markdown]
# ## Solver orders
#
# Global (strong) orders for the flow against the exact probability-flow map of Gaussian data, weak orders
# for the ML- and MSE-diffusions by exact moment propagation. The plots show the measured errors against N
# with the declared order's slope dotted.

# %%
display(*nd.show(records, "uds-orders", "uds-weak-order"))

# %% [markdown]
# ## Convergence in distribution, and the UDS family against DPM-Solver++(2M)
#
# Frechet distance and sliced Wasserstein distance against the number of function evaluations (NFE), with
# the sampling-noise floor measured in the same run.

# %%
display(*nd.show(records, "uds-distribution", "uds-vs-peers"))

# %% [markdown]
# ## The errata of Section 3, by kind

# %%
display(nd.errata_table(records))
