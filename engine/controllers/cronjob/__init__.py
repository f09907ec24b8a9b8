"""The CronJob controller (upstream `pkg/controller/cronjob`, v2) and its cron schedules."""

from engine.controllers.cronjob.controller import CronJobController

__all__ = ["CronJobController"]
