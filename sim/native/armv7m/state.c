/* Snapshots of the ARMv7-M model (arch.h save / restore): struct armv7m is plain data by
 * meaning (per exception prio, enabled, pending, active, level and their bitmaps, the SCB
 * registers, SysTick's counter and the tick it next reaches 0, the counters), so it is copied
 * as a whole. The registers of the CPU (MSP, PSP, PRIMASK, BASEPRI, FAULTMASK, CONTROL, xPSR)
 * are in Unicorn's CPU context, which the core saves; so are the FP registers (s0-s31, FPSCR)
 * and the engine's copy of FPCCR/FPDSCR that fpu.c keeps equal to the model's.
 */
#include "../snapshot.h"
#include "armv7m.h"

void v7m_save(struct core *c, struct snap_w *w)
{
	snap_put(w, arm(c), sizeof(struct armv7m));
}

int v7m_restore(struct core *c, struct snap_r *r)
{
	struct armv7m *a = arm(c), s;
	if (snap_get(r, &s, sizeof(s)) || s.num_irq != a->num_irq || s.nexc != a->nexc)
		return -1;
	s.fp_env = a->fp_env;    /* this core's engine side (fpu.c); its engine state is in the
				  * CPU context the core restores */
	*a = s;
	return 0;
}
