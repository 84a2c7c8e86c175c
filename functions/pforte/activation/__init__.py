"""Activation: single-use activation links and self-registration through the onboarding link."""
