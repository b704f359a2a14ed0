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
# # Section 4: the KL divergence, Propositions 1 and 2, penalized maximum likelihood
#
# What Section 4 prints, checked by the `fbd-verify` ledger: the Gaussian transition means and the KL of
# (16)-(17) with the weight `w^N`, the decompositions (18)-(19), Proposition 1 (the path KL (20) equals the
# weighted error sum (21)), Proposition 2 (`L^N - L = C/N + O(1/N^2)`, with the constant `C` predicted
# symbolically), the chi-square form (24) and the optimal rate (25)-(26).
#
# Proposition 1 is checked exactly on Gaussian paths (direct KL of the joint Gaussians against the sum (21));
# Proposition 2 by ladders N = 16, 32, ... at mpmath precision: fitted order and the measured `N (L^N - L)`
# against the predicted `C`, for every registered schedule, three rates and two denoisers. Every formula and
# number shown comes from the library.

# %%
from IPython.display import display

import verify.notebook_display as nd

display(nd.mode_line(), nd.legend())

# %% [markdown]
# ## Running the claims of Section 4

# %%
records = nd.run_section("4", quick_ids=["eq17", "eq18-eq19"])
display(nd.summary(records))

# %% [markdown]
# ## The transition means and the KL weight: (16)-(17)

# %%
display(*nd.show(records, "eq16-mu", "eq17"))

# %% [markdown]
# ## Proposition 1 and the decompositions (18)-(19)

# %%
display(*nd.show(records, "eq18-eq19", "prop1"))

# %% [markdown]
# ## Proposition 2: L^N - L = C/N, with the predicted C
#
# One plot per schedule: `|L^N - L|` against N for each rate and denoiser, the predicted `C/N` dotted (the
# Markdown report draws the same figures). In quick mode the `prop2*` claims are not run, and one short
# ladder computed now from the printed (40) and (23) illustrates the plot.

# %%
if nd.quick():
    display(*nd.ladder_preview("Logis", "ML", "exact", ns=(16, 32, 64)))
display(*nd.show(records, "prop2", "prop2-*"))

# %% [markdown]
# ## The endpoints of the loss

# %%
display(*nd.show(records, "endpoints"))

# %% [markdown]
# ## Penalized maximum likelihood: (24)-(26)

# %%
display(*nd.show(records, "eq24", "eq26"))

# %% [markdown]
# ## The errata of Section 4, by kind

# %%
display(nd.errata_table(records))
