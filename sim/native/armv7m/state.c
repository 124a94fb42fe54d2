/* Snapshots and inspection (api.h armv7m_state, counters, fault status, costs) of the ARMv7-M
 * model.
 *
 * Snapshots (arch.h save / restore): struct armv7m is plain data by
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
	s.nocp = a->nocp;        /* (nocp.c: the NOCP check's hooks and the image's sites) */
	*a = s;
	v7m_fp_restored(a);
	return 0;
}

/* ---- inspection (api.h) -------------------------------------------------------------------- */

int armv7m_prio_note(struct core *c, struct prio_note *out)
{
	struct armv7m *a = arm(c);
	if (!a->prio_noted)
		return 0;
	*out = a->prio_note;
	return 1;
}

void armv7m_state(struct core *c, uint8_t *prio, uint8_t *enabled, uint8_t *pending,
		  uint8_t *active, uint8_t *level, int n)
{
	struct armv7m *a = arm(c);
	for (int e = 0; e < n && e < a->nexc; e++) {
		prio[e] = (uint8_t)exc_prio(a, e);
		enabled[e] = (uint8_t)v7m_exc_enabled(a, e);
		pending[e] = a->pending[e];
		active[e] = a->active[e];
		level[e] = a->level[e];
	}
}

void armv7m_set_costs(struct core *c, uint32_t entry, uint32_t tailchain, uint32_t ret)
{
	arm(c)->cost_entry = entry;
	arm(c)->cost_tailchain = tailchain;
	arm(c)->cost_return = ret;
}

int armv7m_exec_priority(struct core *c)
{
	return v7m_exec_prio(c, NULL);
}

void armv7m_fault_status(struct core *c, uint32_t *out)
{
	struct armv7m *a = arm(c);
	out[0] = a->cfsr;
	out[1] = a->hfsr;
	out[2] = a->mmfar;
	out[3] = a->bfar;
}

void armv7m_counters(struct core *c, struct nvic_counters *out)
{
	struct armv7m *a = arm(c);
	*out = (struct nvic_counters){
		.taken = a->taken, .preemptions = a->preemptions, .tail_chains = a->tailchains,
		.max_depth = (uint64_t)a->max_depth, .min_frame_sp = a->min_frame_sp,
		.active = (uint64_t)a->cur, .prigroup = a->prigroup, .vtor = a->vtor,
	};
}
