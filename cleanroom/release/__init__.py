"""Differentially private release: noise, thresholds, intervals and the one pipeline.

The server calls :func:`release` with dataset paths (:class:`Sources`), a template
request and the effective policy values, and gets back a :class:`Result`; it charges
``Result.epsilon_spent`` and stores the result in its own transaction.
:func:`release_inputs` turns an allowed :class:`policies.Decision` into the request
and policy values.
"""

from cleanroom.engine import Attribution, EngineConfig, EngineSettings, Sources, SparkSettings
from cleanroom.release.from_policy import release_inputs, release_policy, template_request
from cleanroom.release.model import (
    ConversionsRequest,
    Estimate,
    FunnelRequest,
    LiftRequest,
    OverlapRequest,
    ReachFrequencyRequest,
    ReleasePolicy,
    Result,
    ResultRow,
    TemplateRequest,
    TimeToConversionRequest,
    result_digest,
)
from cleanroom.release.noise import Calibration
from cleanroom.release.pipeline import release

__all__ = [
    "Attribution",
    "Calibration",
    "ConversionsRequest",
    "EngineConfig",
    "EngineSettings",
    "Estimate",
    "FunnelRequest",
    "LiftRequest",
    "OverlapRequest",
    "ReachFrequencyRequest",
    "ReleasePolicy",
    "Result",
    "ResultRow",
    "Sources",
    "SparkSettings",
    "TemplateRequest",
    "TimeToConversionRequest",
    "release",
    "release_inputs",
    "release_policy",
    "result_digest",
    "template_request",
]
