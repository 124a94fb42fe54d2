/* Registers of the ARMv7-M System Control Space used by irqsim's firmware, with their section
 * in the ARMv7-M Architecture Reference Manual. External interrupt n is exception 16 + n.
 * Built for ARMv6-M (__ARM_ARCH_6M__), the priority writes are word-wide and BASEPRI is gone;
 * STIR, VTOR, SHCSR and SHPR1 are not there either (ARMv6-M ARM B3.2, B3.4). */
#ifndef FIRMWARE_CM3_H_
#define FIRMWARE_CM3_H_

#include <stdint.h>

#define REG32(a) (*(volatile uint32_t *)(a))
#define REG8(a)  (*(volatile uint8_t *)(a))

#define NVIC_ISER(n) REG32(0xE000E100u + 4u * (n))  /* B3.4.4 */
#define NVIC_ICER(n) REG32(0xE000E180u + 4u * (n))  /* B3.4.5 */
#define NVIC_ISPR(n) REG32(0xE000E200u + 4u * (n))  /* B3.4.6 */
#define NVIC_ICPR(n) REG32(0xE000E280u + 4u * (n))  /* B3.4.7 */
#define NVIC_IABR(n) REG32(0xE000E300u + 4u * (n))  /* B3.4.8 */
#define NVIC_IPR8(n) REG8(0xE000E400u + (n))        /* B3.4.9, byte access */
#define SCB_ICSR     REG32(0xE000ED04u)             /* B3.2.4 */
#define SCB_VTOR     REG32(0xE000ED08u)             /* B3.2.5 */
#define SCB_AIRCR    REG32(0xE000ED0Cu)             /* B3.2.6 */
#define SCB_CCR      REG32(0xE000ED14u)             /* B3.2.8 */
#define SCB_SHPR8(n) REG8(0xE000ED18u + (n) - 4u)   /* B3.2.10-12, by exception number */
#define SCB_SHCSR    REG32(0xE000ED24u)             /* B3.2.13 */
#define NVIC_STIR    REG32(0xE000EF00u)             /* B3.4.3 */
#define SYST_CSR     REG32(0xE000E010u)             /* B3.3.3 */
#define SYST_RVR     REG32(0xE000E014u)             /* B3.3.4 */
#define SYST_CVR     REG32(0xE000E018u)             /* B3.3.5 */

#define ICSR_PENDSVSET  (1u << 28)
#define ICSR_PENDSTSET  (1u << 26)
#define ICSR_NMIPENDSET (1u << 31)
#define AIRCR_VECTKEY   (0x05FAu << 16)

static inline void nvic_enable(unsigned irq) { NVIC_ISER(irq / 32) = 1u << (irq % 32); }
static inline void nvic_disable(unsigned irq) { NVIC_ICER(irq / 32) = 1u << (irq % 32); }
static inline void nvic_pend(unsigned irq) { NVIC_ISPR(irq / 32) = 1u << (irq % 32); }
static inline void nvic_unpend(unsigned irq) { NVIC_ICPR(irq / 32) = 1u << (irq % 32); }
#if defined(__ARM_ARCH_6M__)
/* ARMv6-M: NVIC_IPR is word-accessible only (ARMv6-M ARM B3.4.7): read-modify-write */
static inline void nvic_set_priority(unsigned irq, uint8_t prio)
{
	volatile uint32_t *ipr = &REG32(0xE000E400u + 4u * (irq / 4));
	unsigned sh = 8u * (irq % 4);
	*ipr = (*ipr & ~(0xFFu << sh)) | ((uint32_t)prio << sh);
}
#else
static inline void nvic_set_priority(unsigned irq, uint8_t prio) { NVIC_IPR8(irq) = prio; }
#endif
static inline void isb(void) { __asm__ volatile("isb" ::: "memory"); }
static inline void dsb(void) { __asm__ volatile("dsb" ::: "memory"); }
static inline void irq_disable(void) { __asm__ volatile("cpsid i" ::: "memory"); }
static inline void irq_enable(void) { __asm__ volatile("cpsie i" ::: "memory"); }
static inline uint32_t get_ipsr(void)
{
	uint32_t v;
	__asm__ volatile("mrs %0, ipsr" : "=r"(v));
	return v;
}
static inline uint32_t get_control(void)
{
	uint32_t v;
	__asm__ volatile("mrs %0, control" : "=r"(v));
	return v;
}
#if !defined(__ARM_ARCH_6M__)   /* ARMv6-M has no BASEPRI */
static inline void set_basepri(uint32_t v) { __asm__ volatile("msr basepri, %0" ::"r"(v) : "memory"); }
static inline void set_basepri_max(uint32_t v) { __asm__ volatile("msr basepri_max, %0" ::"r"(v) : "memory"); }
#endif

#if defined(__ARM_ARCH_8M_MAIN__)
/* ARMv8-M Mainline: the stack limits (ARMv8-M ARM D1.2 MSPLIM, PSPLIM) */
static inline void set_msplim(uint32_t v) { __asm__ volatile("msr msplim, %0" ::"r"(v) : "memory"); }
static inline void set_psplim(uint32_t v) { __asm__ volatile("msr psplim, %0" ::"r"(v) : "memory"); }
static inline uint32_t get_msplim(void)
{
	uint32_t v;
	__asm__ volatile("mrs %0, msplim" : "=r"(v));
	return v;
}
#endif

#endif /* FIRMWARE_CM3_H_ */
