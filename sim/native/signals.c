/* SIGINT and SIGTERM while core_run runs (core.h): the handler only sets a flag, which the block
 * hook's slow path (reached at least every CORE_POLL_TICKS, see core_update_deadline) and the
 * run loop look at, so a run stops at the next block boundary; Python's handlers cannot run
 * while Unicorn emulates. Outside core_run the previous handlers (Python's) are in place. */
#include <signal.h>
#include <string.h>

#include "core.h"

volatile sig_atomic_t core_signal_flag;
static int signal_last;      /* the signal that stopped the last run (core_signal_taken) */

static void on_signal(int sig)
{
	core_signal_flag = sig;
}

static int catch_one(int sig, struct sigaction *old)
{
	struct sigaction sa;
	if (sigaction(sig, NULL, old) || old->sa_handler == SIG_IGN)
		return 0;    /* an ignored signal stays ignored */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	return sigaction(sig, &sa, NULL) == 0;
}

void core_catch_signals(struct saved_signals *s)
{
	core_signal_flag = 0;
	s->have_int = catch_one(SIGINT, &s->sa_int);
	s->have_term = catch_one(SIGTERM, &s->sa_term);
}

int core_restore_signals(const struct saved_signals *s, int stopped, int can_stop)
{
	if (s->have_int)
		sigaction(SIGINT, &s->sa_int, NULL);
	if (s->have_term)
		sigaction(SIGTERM, &s->sa_term, NULL);
	/* read after the restore: a signal from here on reaches the old handler, one before it is
	 * in the flag, so none is lost between two runs (the next core_catch_signals clears it) */
	int sig = core_signal_flag;
	core_signal_flag = 0;
	if (sig && !stopped && !can_stop) {
		signal_last = 0;
		raise(sig);   /* it came as the run ended: to the handler it would have reached */
		return 0;
	}
	signal_last = sig;
	return sig;
}

int core_signal_taken(void)
{
	return signal_last;
}
