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
# # Section 5 and Appendix A: coherence, MSE-diffusion, discrete time; the SDE forms and (40)
#
# What Section 5 prints, checked by the `fbd-verify` ledger: the MSE of (2) in the eps-form (27), the
# constant M of (29) and the MSE-diffusion rate (30) (Proposition 3: the admissible root of (42)), the
# Example (Logis + Vel), and the discrete-time weight `w_t^N(eta)` with its minimiser. Appendix A: the
# difference form (31)-(33), the three SDE forms (34)-(36), the variation of constants (37), and the
# expansion (40) behind Proposition 2.
#
# Most errata of the paper are here. Each is shown with the printed (literal) form, the declared reading
# (the correction) and its proof, its kind (substantive, typo, extraction, convention) and the argument
# for the kind, with the paper's lines as evidence. Every formula shown comes from the library.

# %%
from IPython.display import display

import verify.notebook_display as nd

display(nd.mode_line(), nd.legend())

# %% [markdown]
# ## Running the claims of Section 5 and Appendix A

# %%
records = nd.run_section("5", "A", quick_ids=["discrete-w-eta", "example-logis-vel", "eq34-eq36"])
display(nd.summary(records))

# %% [markdown]
# ## The errata, by kind
#
# Every correction of the erratum claims below, most severe kind first.

# %%
display(nd.errata_table(records))

# %% [markdown]
# ## MSE-diffusion: (27), (29), (30) and Proposition 3

# %%
display(*nd.show(records, "eq27-mse", "eq29-m", "prop3", "example-logis-vel"))

# %% [markdown]
# ## Discrete time: w_t^N(eta), its minimiser, check-eta and the rate approximation

# %%
display(*nd.show(records, "discrete-*", "eta-rate-approx"))

# %% [markdown]
# ## Appendix A: the difference form (31)-(33), the SDE forms (34)-(36), (37) and (40)

# %%
display(*nd.show(records, "eq31-eq33", "eq34-eq36", "eq37", "eq40"))
