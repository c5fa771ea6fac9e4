/* The event loop: one thread, sd-event for the poll timer and signals. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <systemd/sd-event.h>

#include "agent.h"
#include "log.h"

static int on_poll(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct agent *a = userdata;
	uint64_t interval = (uint64_t)a->cfg->poll_interval_ms * 1000;
	int r;

	(void)agent_cycle(a);
	r = sd_event_source_set_time(s, usec + interval);
	if (r < 0)
		return r;
	return sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
}

static int on_stop(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
	log_info("received %s, stopping", strsignal((int)si->ssi_signo));
	return sd_event_exit(sd_event_source_get_event(s), 0);
}

int agent_run(struct agent *a)
{
	sd_event *e = NULL;
	sd_event_source *timer = NULL;
	sigset_t mask;
	uint64_t now;
	int r;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return -errno;

	r = sd_event_default(&e);
	if (r < 0)
		goto done;
	r = sd_event_add_signal(e, NULL, SIGTERM, on_stop, a);
	if (r < 0)
		goto done;
	r = sd_event_add_signal(e, NULL, SIGINT, on_stop, a);
	if (r < 0)
		goto done;
	r = sd_event_now(e, CLOCK_MONOTONIC, &now);
	if (r < 0)
		goto done;
	r = sd_event_add_time(e, &timer, CLOCK_MONOTONIC, now, 0, on_poll, a);
	if (r < 0)
		goto done;
	r = sd_event_set_watchdog(e, 1);
	if (r < 0)
		goto done;
	log_info("started, polling every %lld s", (long long)(a->cfg->poll_interval_ms / 1000));
	r = sd_event_loop(e);
done:
	if (r < 0)
		log_error("event loop failed: %s", strerror(-r));
	sd_event_source_unref(timer);
	sd_event_unref(e);
	return r;
}
