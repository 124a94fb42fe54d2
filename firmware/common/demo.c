#include "demo.h"

#include "console.h"

HANDLER_TABLE_DEFINE(irq_table, DEMO_NLINES);

volatile uint32_t handled_count[DEMO_NLINES];
volatile uint32_t unhandled_count[DEMO_NLINES];
/* Settings Python writes before boot live in .data, not .bss: the start-up code zeroes .bss
 * after the image is loaded, but copies .data from the load image, where irqsim patches them. */
#define DEMO_SETTING __attribute__((section(".data")))
volatile uint32_t handler_work[DEMO_NLINES] DEMO_SETTING;
volatile struct demo_log_entry irq_log[DEMO_LOG_LEN];
volatile uint32_t irq_log_head;
volatile uint32_t irq_seq;
volatile uint32_t thread_progress;
volatile uint32_t demo_loops = 2000;
volatile uint32_t demo_toggle_line = 0xFFFFFFFFu;
volatile uint32_t demo_toggle_period = 1000;
volatile uint32_t demo_toggle_count;
/* When non-zero, the address of a register the handler writes its line number to, to lower a
 * level-triggered line (irqsim's acknowledge register; 0 on real hardware and QEMU). */
volatile uint32_t demo_ack_addr DEMO_SETTING;

static void demo_handle(uint32_t line)
{
	uint32_t seq = ++irq_seq;
	uint32_t slot = irq_log_head;

	handled_count[line]++;
	if (demo_ack_addr)
		*(volatile uint32_t *)demo_ack_addr = line;
	irq_log[slot % DEMO_LOG_LEN].line = line;
	irq_log[slot % DEMO_LOG_LEN].seq = seq;
	irq_log_head = slot + 1;
	for (uint32_t i = handler_work[line]; i; i--)
		__asm__ volatile("" ::: "memory");
}

#define H(n) static void demo_handler_##n(void) { demo_handle(n); }
#define H8(a, b, c, d, e, f, g, h) H(a) H(b) H(c) H(d) H(e) H(f) H(g) H(h)
H8(0, 1, 2, 3, 4, 5, 6, 7)
H8(8, 9, 10, 11, 12, 13, 14, 15)
H8(16, 17, 18, 19, 20, 21, 22, 23)
H8(24, 25, 26, 27, 28, 29, 30, 31)
H8(32, 33, 34, 35, 36, 37, 38, 39)
H8(40, 41, 42, 43, 44, 45, 46, 47)
H8(48, 49, 50, 51, 52, 53, 54, 55)
H8(56, 57, 58, 59, 60, 61, 62, 63)

#define P(n) demo_handler_##n
#define P8(a, b, c, d, e, f, g, h) P(a), P(b), P(c), P(d), P(e), P(f), P(g), P(h)
static handler_t const demo_handlers[DEMO_NLINES] = {
	P8(0, 1, 2, 3, 4, 5, 6, 7),         P8(8, 9, 10, 11, 12, 13, 14, 15),
	P8(16, 17, 18, 19, 20, 21, 22, 23), P8(24, 25, 26, 27, 28, 29, 30, 31),
	P8(32, 33, 34, 35, 36, 37, 38, 39), P8(40, 41, 42, 43, 44, 45, 46, 47),
	P8(48, 49, 50, 51, 52, 53, 54, 55), P8(56, 57, 58, 59, 60, 61, 62, 63),
};

void demo_dispatch(uint32_t line)
{
	if (!handler_table_handle(&irq_table, line) && line < DEMO_NLINES)
		unhandled_count[line]++;
}

int demo_register(uint32_t line)
{
	return line < DEMO_NLINES && handler_table_register(&irq_table, line, demo_handlers[line]);
}

void demo_print_counts(uint32_t n)
{
	for (uint32_t line = 0; line < n; line++) {
		if (!handled_count[line] && !unhandled_count[line])
			continue;
		console_puts("  line ");
		console_putu(line);
		console_puts(": handled ");
		console_putu(handled_count[line]);
		console_puts(", unhandled ");
		console_putu(unhandled_count[line]);
		console_puts("\n");
	}
}

void demo_thread_loop(void)
{
	uint32_t since_toggle = 0;

	for (uint32_t i = 0; demo_loops == 0 || i < demo_loops; i++) {
		thread_progress++;
		if (demo_toggle_line < DEMO_NLINES && ++since_toggle >= demo_toggle_period) {
			since_toggle = 0;
			demo_toggle_count++;
			if (!handler_table_unregister(&irq_table, demo_toggle_line))
				demo_register(demo_toggle_line);
		}
	}
}

void demo_finish_boot(uint32_t nlines)
{
	console_puts("self-test:\n");
	demo_print_counts(nlines);
	demo_thread_loop();
	console_puts("done after ");
	console_putu(thread_progress);
	console_puts(" loops\n");
	demo_print_counts(DEMO_NLINES);
}
