"""Policy-as-code: the policy model, validation, strictest-wins merge and evaluation."""
