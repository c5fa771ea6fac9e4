/* SPDX-License-Identifier: Apache-2.0 */
/* The event loop: one thread, sd-event for the poll timer, the watchdog and
 * signals.
 *
 * A poll cycle runs inside the timer's callback and blocks the loop while it
 * runs; the watchdog pings come from another timer of the same loop, so they
 * stop exactly while a cycle is stuck. Each HTTP request ends by its total
 * timeout (itsm.timeout), so a slow ITSM delays the pings but does not stop
 * them for good; WatchdogSec= must therefore be longer than the longest
 * healthy cycle, and a cycle stuck past it gets the agent restarted. Nothing
 * pings from inside a request (no libcurl progress callback), so a hung
 * request cannot keep the agent looking healthy. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <systemd/sd-event.h>

#include "agent.h"
#include "health.h"
#include "status_file.h"
#include "util/log.h"

#define USEC_PER_MSEC 1000ULL

/* Arms timer S to fire USEC from the loop's time. A timer that cannot be
 * armed ends the loop: an agent that pings but never polls again would look
 * healthy to systemd while doing nothing. */
static int rearm(sd_event_source *s, uint64_t usec)
{
	sd_event *e = sd_event_source_get_event(s);
	uint64_t now;
	int r;

	r = sd_event_now(e, CLOCK_MONOTONIC, &now);
	if (r >= 0)
		r = sd_event_source_set_time(s, now + usec);
	if (r >= 0)
		r = sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
	if (r < 0)
		return sd_event_exit(e, r);
	return 0;
}

static int on_poll(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct agent *a = userdata;
	int64_t started = clock_now(a->clock), took;

	agent_poll(a);
	health_status(&a->status);
	/* The interval counts from the end of the cycle, so a slow ITSM gets its
	 * pause too. The loop's time is that of the cycle's start, so the
	 * cycle's length is added. */
	took = a->status.last_poll_ms > started ? a->status.last_poll_ms - started : 0;
	return rearm(s, (uint64_t)(took + a->cfg->poll_interval_ms) * USEC_PER_MSEC);
}

static int on_watchdog(sd_event_source *s, uint64_t usec, void *userdata)
{
	uint64_t interval = *(const uint64_t *)userdata;

	health_watchdog();
	return rearm(s, interval / 2);
}

static int on_stop(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
	log_info("received %s, stopping", strsignal((int)si->ssi_signo));
	health_stopping();
	return sd_event_exit(sd_event_source_get_event(s), 0);
}

static int on_reload(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
	struct agent *a = userdata;
	uint64_t now;
	int r;

	r = sd_event_now(sd_event_source_get_event(s), CLOCK_MONOTONIC, &now);
	if (r < 0)
		return r;
	log_info("received %s, reloading %s", strsignal((int)si->ssi_signo), a->cfg->path);
	health_reloading(now);
	/* A broken new configuration is logged and the running one kept: the
	 * agent is as ready afterwards as before. */
	a->status.reload_failed = agent_reload(a) < 0;
	health_ready(&a->status);
	status_file_write(a);
	return 0;
}

/* SIGUSR2: another log level without a reload. Sent with a level as its
 * value (sigqueue, as accessctl log-level does), it sets that level; a plain
 * SIGUSR2 (kill -USR2) switches between debug and the configured level.
 * A reload or restart goes back to the configuration's. */
static int on_log_level(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
	struct agent *a = userdata;
	enum log_level old = log_get_level(), level;

	if (si->ssi_code == SI_QUEUE && si->ssi_int >= LOG_LEVEL_ERR && si->ssi_int <= LOG_LEVEL_DEBUG)
		level = (enum log_level)si->ssi_int;
	else
		level = old == LOG_LEVEL_DEBUG ? a->cfg->log_level : LOG_LEVEL_DEBUG;
	/* The more verbose of the two first, so that the line shows. */
	if (level > old)
		log_set_level(level);
	log_notice("log level %s, was %s (SIGUSR2 from pid %u)", log_level_name(level), log_level_name(old),
		   si->ssi_pid);
	log_set_level(level);
	status_file_write(a);
	return 0;
}

/* One request may take every attempt's total timeout plus the backoff
 * budget; a shorter watchdog would restart an agent that is only waiting. */
static void check_watchdog(const struct config *cfg, uint64_t usec)
{
	int64_t bound_ms = cfg->itsm.timeout_ms * cfg->retry.max_attempts + cfg->retry.budget_ms;

	if (usec >= (uint64_t)bound_ms * USEC_PER_MSEC)
		return;
	log_warnx("WatchdogSec= (%llu ms) is shorter than one ITSM request may take (%d attempts of up to %lld ms "
		  "plus %lld ms of backoff); raise WatchdogSec= or lower itsm.timeout and retry.max_attempts",
		  (unsigned long long)(usec / USEC_PER_MSEC), cfg->retry.max_attempts,
		  (long long)cfg->itsm.timeout_ms, (long long)cfg->retry.budget_ms);
}

/* A signal that arrived during a cycle is handled before a poll that fell
 * due meanwhile: no new cycle starts after a stop was asked for, and a new
 * configuration applies to the next cycle. */
static int add_signal(sd_event *e, sd_event_source **ret, int sig, sd_event_signal_handler_t handler,
		      struct agent *a)
{
	int r;

	r = sd_event_add_signal(e, ret, sig, handler, a);
	if (r < 0)
		return r;
	return sd_event_source_set_priority(*ret, SD_EVENT_PRIORITY_IMPORTANT);
}

bool agent_stop_pending(void)
{
	sigset_t pending;

	if (sigpending(&pending) < 0)
		return false;
	return sigismember(&pending, SIGTERM) == 1 || sigismember(&pending, SIGINT) == 1;
}

int agent_run(struct agent *a)
{
	sd_event *e = NULL;
	sd_event_source *timer = NULL, *watchdog = NULL, *signals[4] = { NULL, NULL, NULL, NULL };
	uint64_t now, watchdog_usec = 0;
	sigset_t mask;
	int r;

	/* Blocked, the signals wait in the signalfd until the cycle in flight
	 * has finished; agent_stop_pending() lets a cycle end early. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGUSR2);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return -errno;

	r = sd_event_default(&e);
	if (r < 0)
		goto done;
	r = add_signal(e, &signals[0], SIGTERM, on_stop, a);
	if (r < 0)
		goto done;
	r = add_signal(e, &signals[1], SIGINT, on_stop, a);
	if (r < 0)
		goto done;
	r = add_signal(e, &signals[2], SIGHUP, on_reload, a);
	if (r < 0)
		goto done;
	r = add_signal(e, &signals[3], SIGUSR2, on_log_level, a);
	if (r < 0)
		goto done;
	r = sd_event_now(e, CLOCK_MONOTONIC, &now);
	if (r < 0)
		goto done;
	r = sd_event_add_time(e, &timer, CLOCK_MONOTONIC, now, 0, on_poll, a);
	if (r < 0)
		goto done;
	r = health_watchdog_usec(&watchdog_usec);
	if (r < 0) {
		log_warnx("WATCHDOG_USEC is malformed: %s, ignoring", strerror(-r));
		watchdog_usec = 0;
	}
	if (watchdog_usec > 0) {
		check_watchdog(a->cfg, watchdog_usec);
		r = sd_event_add_time(e, &watchdog, CLOCK_MONOTONIC, now, 0, on_watchdog, &watchdog_usec);
		if (r < 0)
			goto done;
	}
	log_info("started, polling every %lld s", (long long)(a->cfg->poll_interval_ms / 1000));
	health_ready(&a->status);
	r = sd_event_loop(e);
done:
	if (r < 0)
		log_error("event loop failed: %s", strerror(-r));
	for (size_t i = 0; i < sizeof(signals) / sizeof(signals[0]); i++)
		sd_event_source_unref(signals[i]);
	sd_event_source_unref(watchdog);
	sd_event_source_unref(timer);
	sd_event_unref(e);
	return r;
}
