/* SysTick, the ARMv7-M system timer (ARMv7-M ARM B3.3): a 24-bit down-counter that reloads from
 * SYST_RVR and pends exception 15 when it wraps with TICKINT set.
 *
 * Time: the counter counts ticks (retired instructions) for both CLKSOURCE settings; its next
 * wrap is the tick `st_zero`, which the core sees as this architecture's deadline, so a wrap
 * pends SysTick at the first block boundary at or after it, recorded at the tick it wrapped.
 * CALIB reads NOREF=1, SKEW=1, TENMS=0: there is no reference clock (B3.3.6). A core whose
 * profile says M_SYSTICK_CPU_CLOCK (QEMU 7.2's microbit, which wires no reference clock) does
 * not count with CLKSOURCE = 0: enabling it so is a guest error, as QEMU logs it.
 */
#include "armv7m.h"

static uint32_t systick_cvr(struct core *c)
{
	struct armv7m *a = arm(c);
	if (a->st_zero == UINT64_MAX)
		return a->st_cvr;
	uint64_t v = a->st_zero - c->ticks;
	/* at the tick of a wrap the counter reads 0; st_zero already points one period on */
	if (v == (uint64_t)a->st_rvr + 1)
		v = 0;
	return (uint32_t)(v & 0xFFFFFF);
}

void systick_advance(struct core *c)
{
	struct armv7m *a = arm(c);
	while (a->st_zero <= c->ticks) {
		a->st_csr |= SYST_COUNTFLAG;
		if (a->st_csr & SYST_TICKINT)   /* recorded when it wrapped */
			v7m_set_pending_at(c, EXC_SYSTICK, PEND_TIMER, a->st_zero, NO_TICK);
		if (!a->st_rvr) {          /* RELOAD 0 stops the counter at its next wrap */
			a->st_cvr = 0;
			a->st_zero = UINT64_MAX;
		} else {
			a->st_zero += (uint64_t)a->st_rvr + 1;
		}
	}
}

/* The counter restarts from `cvr` now: it reaches 0 after cvr ticks, or, from 0, reloads on
 * the next tick and reaches 0 after RELOAD more. */
static void systick_start(struct core *c, uint32_t cvr)
{
	struct armv7m *a = arm(c);
	if (cvr)
		a->st_zero = c->ticks + cvr;
	else
		a->st_zero = a->st_rvr ? c->ticks + 1 + a->st_rvr : UINT64_MAX;
}

/* Whether the counter runs with control bits `csr`: enabled, on a clock the core has. */
static int counting(struct armv7m *a, uint32_t csr)
{
	return (csr & SYST_ENABLE) &&
	       ((csr & SYST_CLKSOURCE) || a->profile.systick != M_SYSTICK_CPU_CLOCK);
}

uint64_t systick_deadline(struct core *c)
{
	return arm(c)->st_zero;
}

uint32_t systick_read(struct core *c, uint32_t off)
{
	struct armv7m *a = arm(c);
	uint32_t v;
	switch (off) {
	case SYST_CSR:
		systick_advance(c);
		v = a->st_csr;
		a->st_csr &= ~SYST_COUNTFLAG;   /* COUNTFLAG clears on read */
		return v;
	case SYST_RVR: return a->st_rvr;
	case SYST_CVR: systick_advance(c); return systick_cvr(c);
	default: return 0xC0000000u;    /* SYST_CALIB */
	}
}

void systick_write(struct core *c, uint32_t off, uint32_t v)
{
	struct armv7m *a = arm(c);
	switch (off) {
	case SYST_CSR: {
		systick_advance(c);
		int was = counting(a, a->st_csr), now = counting(a, v);
		if ((v & SYST_ENABLE) && !now)   /* no reference clock: QEMU logs it too */
			core_guest_error(c, SCS_BASE + off);
		a->st_csr = (a->st_csr & SYST_COUNTFLAG) |
			    (v & (SYST_ENABLE | SYST_TICKINT | SYST_CLKSOURCE));
		if (!was && now)
			systick_start(c, a->st_cvr);
		else if (was && !now) {
			a->st_cvr = systick_cvr(c);
			a->st_zero = UINT64_MAX;
		}
		break;
	}
	case SYST_RVR:
		a->st_rvr = v & 0xFFFFFF;
		break;
	case SYST_CVR:   /* any write clears the counter and COUNTFLAG */
		a->st_csr &= ~SYST_COUNTFLAG;
		a->st_cvr = 0;
		if (counting(a, a->st_csr))
			systick_start(c, 0);
		break;
	default:         /* SYST_CALIB is read-only */
		break;
	}
}
