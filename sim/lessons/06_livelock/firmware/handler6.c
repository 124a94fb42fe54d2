/* Lesson 6: slot 6 of the handler table gets the student's lesson_handler (after boot). */
#include "demo.h"

void lesson_handler(void);

void lesson_setup(void)
{
	handler_table_unregister(&irq_table, 6);
	handler_table_register(&irq_table, 6, lesson_handler);
}
