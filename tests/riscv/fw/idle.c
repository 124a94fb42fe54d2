/* Test firmware that touches no device: it waits in wfi forever with every interrupt masked,
 * so Python drives the devices through their registers while simulated time passes. */
int main(void)
{
	for (;;)
		__asm__ volatile("wfi");
}
