/* Start-up code and vector table for Cortex-M images (mps2-an385; mps2-an505 built with
 * -DIRQSIM_NUM_IRQ=124, its NVIC's lines).
 *
 * Every vector the application does not define is a weak alias of DefaultHandler. External
 * interrupts default to irq_dispatch_entry when the application links the handler-table
 * dispatcher (dispatch.c), else to DefaultHandler. */
#include <stdint.h>

#include "semihost.h"

extern uint32_t _estack, __data_start, __data_end, __data_load, __bss_start, __bss_end;
int main(void);
void Reset_Handler(void);

__attribute__((noreturn)) void DefaultHandler(void)
{
	semihost_write0("irqsim firmware: unexpected exception\n");
	semihost_exit(70);
}

#define WEAK_DEFAULT __attribute__((weak, alias("DefaultHandler")))
void NMI_Handler(void) WEAK_DEFAULT;
void HardFault_Handler(void) WEAK_DEFAULT;
void MemManage_Handler(void) WEAK_DEFAULT;
void BusFault_Handler(void) WEAK_DEFAULT;
void UsageFault_Handler(void) WEAK_DEFAULT;
void SVC_Handler(void) WEAK_DEFAULT;
void DebugMon_Handler(void) WEAK_DEFAULT;
void PendSV_Handler(void) WEAK_DEFAULT;
void SysTick_Handler(void) WEAK_DEFAULT;
void IRQ_Handler(void) WEAK_DEFAULT;

#ifndef IRQSIM_NUM_IRQ
#define IRQSIM_NUM_IRQ 32   /* external vectors: the board's controller.num_irq */
#endif

__attribute__((section(".vectors"), used)) void (*const vector_table[16 + IRQSIM_NUM_IRQ])(void) = {
	(void (*)(void))&_estack,
	Reset_Handler,
	NMI_Handler,
	HardFault_Handler,
	MemManage_Handler,
	BusFault_Handler,
	UsageFault_Handler,
	0, 0, 0, 0,
	SVC_Handler,
	DebugMon_Handler,
	0,
	PendSV_Handler,
	SysTick_Handler,
	[16 ... 16 + IRQSIM_NUM_IRQ - 1] = IRQ_Handler,
};

void Reset_Handler(void)
{
	uint32_t *src = &__data_load, *dst = &__data_start;
	while (dst < &__data_end)
		*dst++ = *src++;
	for (dst = &__bss_start; dst < &__bss_end;)
		*dst++ = 0;
	semihost_exit(main());
}
