/* The Goldfish RTC of virt and its alarm interrupt (PLIC source 11), observed by the firmware
 * and printed as "key value" lines: tests/riscv/test_rv32_rtc.py runs it on irqsim and on
 * qemu-system-riscv32 -M virt. Only what holds whatever the clock is printed (QEMU's RTC
 * follows the host's clock): orders, counts, comparisons, never times. */
#include <stdint.h>

#include "console.h"
#include "riscv.h"

#define MS 1000000ull               /* ns */
#define LOG_LEN 16

volatile uint32_t rtc_irqs, mti_irqs, other_irqs;
volatile uint32_t order[LOG_LEN], norder;
volatile uint64_t alarm_at;         /* the alarm of the first wait, for the Python test */
volatile uint64_t seen_in_handler;  /* the time the handler read */

static void put(const char *key, uint32_t v)
{
	console_puts(key);
	console_putc(' ');
	console_putu(v);
	console_putc('\n');
}

static uint64_t rtc_now(void)
{
	uint32_t lo = RTC_TIME_LOW;     /* latches TIME_HIGH */
	return (uint64_t)RTC_TIME_HIGH << 32 | lo;
}

static void rtc_alarm(uint64_t t)
{
	RTC_ALARM_HIGH = (uint32_t)(t >> 32);
	RTC_ALARM_LOW = (uint32_t)t;    /* arms it */
}

static void log_irq(uint32_t what)
{
	if (norder < LOG_LEN)
		order[norder] = what;
	norder++;
}

void riscv_mei_handler(struct trap_frame *f)
{
	(void)f;
	uint32_t id = plic_claim();
	if (id == RTC_IRQ) {
		seen_in_handler = rtc_now();
		rtc_irqs++;
		log_irq(RTC_IRQ);
		RTC_CLEAR_INTERRUPT = 0;    /* lowers the level before the completion */
	} else {
		other_irqs++;
	}
	if (id)
		plic_complete(id);
}

void riscv_mti_handler(struct trap_frame *f)
{
	(void)f;
	mti_irqs++;
	log_irq(IRQ_MTI);
	clint_set_mtimecmp(UINT64_MAX);
}

/* Waits with wfi until `*count` reaches n (MIE clear around the test and the wfi). */
static void wait_for(volatile uint32_t *count, uint32_t n)
{
	irq_disable();
	while (*count < n) {
		wfi();
		irq_enable();
		irq_disable();
	}
	irq_enable();
}

static void spin_until(uint64_t t)
{
	while (rtc_now() < t) {
	}
}

int main(void)
{
	console_init();
	uint64_t t0 = rtc_now(), t1 = rtc_now();
	put("time_monotonic", t1 >= t0);
	put("time_after_2020", t0 / 1000000000ull > 1577836800ull);
	put("irq_enabled_at_reset", RTC_IRQ_ENABLED);
	put("alarm_status_at_reset", RTC_ALARM_STATUS);

	clint_set_mtimecmp(UINT64_MAX);
	plic_set_threshold(0);
	plic_set_priority(RTC_IRQ, 1);
	plic_enable(RTC_IRQ);
	csr_set(mie, MIE_MEIE | MIE_MTIE);
	RTC_IRQ_ENABLED = 1;
	put("irq_enabled_readback", RTC_IRQ_ENABLED);
	irq_enable();

	/* an alarm 2 ms ahead: armed, then it fires once */
	alarm_at = rtc_now() + 2 * MS;
	rtc_alarm(alarm_at);
	put("alarm_status_armed", RTC_ALARM_STATUS);
	put("alarm_readback", (((uint64_t)RTC_ALARM_HIGH << 32) | RTC_ALARM_LOW) == alarm_at);
	put("irqs_before_alarm", rtc_irqs);
	wait_for(&rtc_irqs, 1);
	put("alarm_irqs", rtc_irqs);
	put("alarm_status_fired", RTC_ALARM_STATUS);
	put("handler_time_at_or_after_alarm", seen_in_handler >= alarm_at);

	/* an alarm in the past fires at once (MIE is clear to look at it: QEMU takes an
	 * interrupt that a store makes pending only at the end of its translation block) */
	irq_disable();
	rtc_alarm(rtc_now() - MS);
	put("past_alarm_status", RTC_ALARM_STATUS);
	put("past_alarm_pending", PLIC_PENDING(0) >> RTC_IRQ & 1);
	wait_for(&rtc_irqs, 2);
	put("past_alarm_irqs", rtc_irqs);

	/* a cleared alarm never fires */
	rtc_alarm(rtc_now() + MS);
	RTC_CLEAR_ALARM = 0;
	put("cleared_alarm_status", RTC_ALARM_STATUS);
	spin_until(rtc_now() + 3 * MS);
	put("cleared_alarm_irqs", rtc_irqs);

	/* with IRQ_ENABLED clear the alarm fires without an interrupt; enabling lets it in */
	RTC_IRQ_ENABLED = 0;
	rtc_alarm(rtc_now() + MS);
	spin_until(rtc_now() + 3 * MS);
	put("masked_alarm_status", RTC_ALARM_STATUS);
	put("masked_alarm_irqs", rtc_irqs);
	put("masked_alarm_pending", PLIC_PENDING(0) >> RTC_IRQ & 1);
	irq_disable();
	RTC_IRQ_ENABLED = 1;
	put("unmasked_alarm_pending", PLIC_PENDING(0) >> RTC_IRQ & 1);
	wait_for(&rtc_irqs, 3);
	put("unmasked_alarm_irqs", rtc_irqs);

	/* the RTC alarm 2 ms ahead and the CLINT timer 20 ms ahead: in that order */
	norder = 0;
	rtc_alarm(rtc_now() + 2 * MS);
	clint_set_mtimecmp(clint_mtime() + 200000);   /* 20 ms of virt's 10 MHz mtime */
	wait_for(&mti_irqs, 1);
	put("order_n", norder);
	put("order_0", order[0]);
	put("order_1", order[1]);
	put("other_irqs", other_irqs);
	return 0;
}
