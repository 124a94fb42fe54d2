/* Lesson 4: the thread's critical section, right after boot: lesson_mask(), a busy loop of
 * lesson_spin iterations (about 100,000 ticks), lesson_unmask(). The student writes both. */
#include <stdint.h>

void lesson_mask(void);
void lesson_unmask(void);

volatile uint32_t lesson_spin = 50000;

void lesson_setup(void)
{
	lesson_mask();
	for (uint32_t i = lesson_spin; i; i--)
		__asm__ volatile("" ::: "memory");
	lesson_unmask();
}
