/* Test firmware with no trap handlers of its own: start.S's weak defaults report an
 * unexpected trap through semihosting and exit with status 70. main() takes an ecall. */
int main(void)
{
	__asm__ volatile("ecall");
	return 0;
}
