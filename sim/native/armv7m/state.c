/* Snapshots of the ARMv7-M model (arch.h save / restore): struct armv7m is plain data by
 * meaning (per exception prio, enabled, pending, active, level and their bitmaps, the SCB
 * registers, SysTick's counter and the tick it next reaches 0, the counters), so it is copied
 * as a whole. The registers of the CPU (MSP, PSP, PRIMASK, BASEPRI, FAULTMASK, CONTROL, xPSR)
 * are in Unicorn's CPU context, which the core saves.
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
	*a = s;
	return 0;
}
