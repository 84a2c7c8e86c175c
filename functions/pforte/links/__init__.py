"""Links: the onboarding link, the generic link, its quotas and schedules."""
