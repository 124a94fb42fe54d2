/* Board devices: the registry of models, instantiation from board data, their MMIO callbacks,
 * timers and register access from Python (see dev.h). */
#include "dev.h"

#include <stdlib.h>
#include <string.h>

static const struct device_model *const models[] = {
	&dev_plic, &dev_clint, &dev_ns16550a, &dev_cmsdk_uart, &dev_cmsdk_timer,
	&dev_cmsdk_dualtimer, &dev_cmsdk_watchdog, &dev_mps2_fpgaio, &dev_mps2_scc, &dev_ack,
	&dev_sifive_test, &dev_goldfish_rtc, &dev_nrf51_uart, &dev_nrf51_timer,
	&dev_nrf51_clock, &dev_nrf51_ficr, &dev_nrf51_uicr, &dev_unimplemented,
};

void dev_save(struct device *d, struct snap_w *w)
{
	if (d->model->save)
		d->model->save(d, w);
	else
		snap_put(w, d->state, d->model->state_size);
}

int dev_restore(struct device *d, struct snap_r *r)
{
	if (d->model->restore)
		return d->model->restore(d, r);
	return snap_get(r, d->state, d->model->state_size);
}

long inq_push(struct inq *q, const uint8_t *data, size_t n)
{
	if (q->head == q->len)
		q->head = q->len = 0;
	if (q->len + n > q->cap) {
		size_t cap = q->cap ? q->cap : 256;
		while (cap < q->len + n)
			cap *= 2;
		uint8_t *b = realloc(q->buf, cap);
		if (!b)
			return 0;
		q->buf = b;
		q->cap = cap;
	}
	memcpy(q->buf + q->len, data, n);
	q->len += n;
	return (long)n;
}

void inq_save(const struct inq *q, struct snap_w *w)
{
	snap_put(w, q->buf + q->head, q->len - q->head);
}

int inq_restore(struct inq *own, struct inq *saved, struct snap_r *r)
{
	size_t n = saved->len - saved->head;
	const void *bytes = snap_take(r, n);
	if (!bytes)
		return -1;
	if (n > own->cap) {
		uint8_t *b = realloc(own->buf, n);
		if (!b)
			return -1;
		own->buf = b;
		own->cap = n;
	}
	if (n)
		memcpy(own->buf, bytes, n);
	*saved = (struct inq){.buf = own->buf, .head = 0, .len = n, .cap = own->cap};
	return 0;
}

void inq_dev_save(struct device *d, size_t size, size_t at, struct snap_w *w)
{
	snap_put(w, d->state, size);
	inq_save((struct inq *)((char *)d->state + at), w);
}

int inq_dev_restore(struct device *d, size_t size, size_t at, struct snap_r *r)
{
	char *s = malloc(size);
	int bad = !s || snap_get(r, s, size) ||
		  inq_restore((struct inq *)((char *)d->state + at), (struct inq *)(s + at), r);
	if (!bad)
		memcpy(d->state, s, size);
	free(s);
	return bad ? -1 : 0;
}

void inq_dev_free(struct device *d, size_t at)
{
	free(((struct inq *)((char *)d->state + at))->buf);
}

uint64_t dev_opt(const struct dev_opt *opts, int nopts, const char *key, uint64_t dflt)
{
	for (int i = 0; i < nopts; i++)
		if (!strcmp(opts[i].key, key))
			return opts[i].value;
	return dflt;
}

int dev_opts_known(const struct dev_opt *opts, int nopts, const char *const *known)
{
	for (int i = 0; i < nopts; i++) {
		int ok = 0;
		for (const char *const *k = known; *k && !ok; k++)
			ok = !strcmp(opts[i].key, *k);
		if (!ok)
			return 0;
	}
	return 1;
}

struct device *dev_get(struct core *c, int i, const struct device_model *model)
{
	return i >= 0 && i < c->ndevs && c->devs[i]->model == model ? c->devs[i] : NULL;
}

struct device *dev_find(struct core *c, const struct device_model *model)
{
	for (int i = 0; i < c->ndevs; i++)
		if (c->devs[i]->model == model)
			return c->devs[i];
	return NULL;
}

uint64_t dev_word_read(uint32_t (*read32)(struct device *, uint32_t), struct device *d,
		       uint32_t off, unsigned size)
{
	uint32_t w = read32(d, off & ~3u);
	w >>= 8 * (off & 3);
	return size >= 4 ? w : w & ((1u << (8 * size)) - 1);
}

uint32_t cmsdk_id(uint32_t off, uint8_t part)
{
	static const uint8_t id[12] = {0x04, 0, 0, 0, 0, 0xb8, 0x1b, 0x00, 0x0d, 0xf0, 0x05, 0xb1};
	uint32_t i = (off - CMSDK_ID_FIRST) / 4;
	return i == 4 ? part : id[i];
}

void countdown_init(struct countdown *k, uint32_t v, uint32_t div)
{
	k->div = div ? div : 1;
	countdown_load(k, v);
}

void countdown_load(struct countdown *k, uint32_t v)
{
	k->value = v;
	k->zero = UINT64_MAX;
}

void countdown_start(struct countdown *k, uint64_t now, uint32_t reload)
{
	if (k->value) {
		k->from = now;
		k->zero = now + (uint64_t)k->value * k->div;
	} else if (reload) {
		k->from = now + k->div;
		k->zero = k->from + (uint64_t)reload * k->div;
	}
}

uint32_t countdown_value(const struct countdown *k, uint64_t now, uint32_t reload)
{
	if (!countdown_running(k))
		return k->value;
	/* before `from`: the count it holds 0 before reloading */
	return now < k->from ? 0 : (uint32_t)((k->zero - now + k->div - 1) / k->div);
}

void countdown_stop(struct countdown *k, uint64_t now, uint32_t reload)
{
	countdown_load(k, countdown_value(k, now, reload));
}

uint64_t countdown_advance(struct countdown *k, uint64_t now, uint32_t reload)
{
	if (k->zero > now)
		return 0;
	if (!reload) {
		countdown_load(k, 0);
		return 1;
	}
	uint64_t period = ((uint64_t)reload + 1) * k->div, n = (now - k->zero) / period + 1;
	k->zero += n * period;
	k->from = k->zero - (uint64_t)reload * k->div;
	return n;
}

static uint64_t mmio_read(uc_engine *uc, uint64_t offset, unsigned size, void *ud)
{
	struct device *d = ud;
	(void)uc;
	return d->model->read(d, (uint32_t)offset, size);
}

static void mmio_write(uc_engine *uc, uint64_t offset, unsigned size, uint64_t value, void *ud)
{
	struct device *d = ud;
	(void)uc;
	d->model->write(d, (uint32_t)offset, size, value);
}

static int overlaps(struct core *c, uint64_t base, uint64_t size)
{
	for (int i = 0; i < c->ndevs; i++) {
		struct device *o = c->devs[i];
		if (base < o->base + o->size && o->base < base + size)
			return 1;
	}
	for (int i = 0; i < c->nregions; i++)
		if (base < c->regions[i].base + c->regions[i].size && c->regions[i].base < base + size)
			return 1;
	return 0;
}

int core_add_device(struct core *c, const char *kind, uint64_t base, int irq,
		    const struct dev_opt *opts, int nopts)
{
	const struct device_model *model = NULL;
	for (size_t i = 0; i < sizeof(models) / sizeof(models[0]) && !model; i++)
		if (!strcmp(models[i]->kind, kind))
			model = models[i];
	if (!model)
		return -1;
	if (c->ndevs == CORE_MAX_DEVICES)
		return -4;
	if (irq >= 0) {
		int taker = 0;
		for (int i = 0; i < c->nline_sets; i++)
			taker |= c->lines[i].devices;
		if (!taker)
			return -5;
	}
	struct device *d = calloc(1, sizeof(*d));
	if (!d)
		return -4;
	d->model = model;
	d->core = c;
	d->base = base;
	d->irq = irq;
	int r = model->init(d, opts, nopts);
	if (r) {
		free(d->state);
		free(d);
		return r < 0 ? r : -2;
	}
	/* an unimplemented range is mapped by its own init around what is there already */
	if (model != &dev_unimplemented) {
		if (!d->size || overlaps(c, base, d->size)) {
			r = -3;
		} else if (uc_mmio_map(c->uc, base, d->size, mmio_read, d, mmio_write, d)) {
			r = -3;
		}
		if (r) {
			if (model->free)
				model->free(d);
			free(d->state);
			free(d);
			return r;
		}
		d->mapped = 1;
	}
	c->devs[c->ndevs] = d;
	if (model->deadline && !d->untimed)
		c->timed[c->ntimed++] = d;
	core_update_deadline(c);
	return c->ndevs++;
}

uint32_t core_mmio(struct core *c, uint64_t addr, uint32_t size, uint32_t value, int write,
		   int *ok)
{
	uint32_t v = 0;
	*ok = -1;
	for (int i = 0; i < c->ndevs; i++) {
		struct device *d = c->devs[i];
		if (!d->mapped || addr < d->base || addr - d->base >= d->size)
			continue;
		*ok = 0;
		c->in_api = 1;
		if (write)
			d->model->write(d, (uint32_t)(addr - d->base), size, value);
		else
			v = (uint32_t)d->model->read(d, (uint32_t)(addr - d->base), size);
		c->in_api = 0;
		break;
	}
	core_update_deadline(c);
	return v;
}

long core_console_input(struct core *c, const uint8_t *data, size_t n)
{
	for (int i = 0; i < c->ndevs; i++) {
		struct device *d = c->devs[i];
		if (d->model->input) {
			long r = d->model->input(d, data, n);
			if (r == -1)   /* an instance that is not the console (a CMSDK UART1-4) */
				continue;
			core_update_deadline(c);
			return r;
		}
	}
	return -1;
}

/* (only the devices with a timer: these two run at every block boundary with work due) */
uint64_t core_devices_deadline(struct core *c)
{
	uint64_t t = UINT64_MAX;
	for (int i = 0; i < c->ntimed; i++) {
		struct device *d = c->timed[i];
		uint64_t u = d->model->deadline(d);
		if (u < t)
			t = u;
	}
	return t;
}

void core_advance_devices(struct core *c)
{
	for (int i = 0; i < c->ntimed; i++) {
		struct device *d = c->timed[i];
		if (c->ticks >= d->model->deadline(d))
			d->model->advance(d);
	}
}

void core_free_devices(struct core *c)
{
	/* The MMIO maps belong to the engine, which Python closes after this. */
	for (int i = 0; i < c->ndevs; i++) {
		struct device *d = c->devs[i];
		if (d->model->free)
			d->model->free(d);
		free(d->state);
		free(d);
	}
	c->ndevs = 0;
	c->ntimed = 0;
}

/* ---- an unimplemented range (QEMU's create_unimplemented_device) ------------------------- *
 * Accesses read as zero and are guest errors. The range is mapped around the devices added
 * before it (a board file lists it after the devices inside it): one MMIO map per gap, each
 * knowing its own base (Unicorn reports offsets from the start of the map). */

#define UNIMP_MAX_PIECES 16

struct unimp_piece {
	struct device *d;
	uint64_t base;
};

struct unimp {
	int n;
	struct unimp_piece piece[UNIMP_MAX_PIECES];
};

static uint64_t unimp_read(uc_engine *uc, uint64_t offset, unsigned size, void *ud)
{
	struct unimp_piece *p = ud;
	(void)uc, (void)size;
	core_guest_error(p->d->core, p->base + offset);
	return 0;
}

static void unimp_write(uc_engine *uc, uint64_t offset, unsigned size, uint64_t value, void *ud)
{
	struct unimp_piece *p = ud;
	(void)uc, (void)size, (void)value;
	core_guest_error(p->d->core, p->base + offset);
}

static uint64_t unimp_dev_read(struct device *d, uint32_t off, unsigned size)
{
	(void)size;
	core_guest_error(d->core, d->base + off);
	return 0;
}

static void unimp_dev_write(struct device *d, uint32_t off, unsigned size, uint64_t value)
{
	(void)size, (void)value;
	core_guest_error(d->core, d->base + off);
}

static int unimp_init(struct device *d, const struct dev_opt *opts, int nopts)
{
	static const char *const known[] = {"size", NULL};
	struct core *c = d->core;
	uint64_t size = dev_opt(opts, nopts, "size", 0);
	if (!dev_opts_known(opts, nopts, known) || !size || size % 1024 || d->base % 1024)
		return -2;
	struct unimp *u = calloc(1, sizeof(*u));
	if (!u)
		return -4;
	d->state = u;
	d->size = size;
	/* the gaps between the devices (and memory) already in [base, base + size) */
	for (uint64_t at = d->base, end = d->base + size; at < end;) {
		uint64_t next = end, skip = 0;
		for (int i = 0; i < c->ndevs; i++) {
			struct device *o = c->devs[i];
			if (o->base + o->size > at && o->base < next) {
				next = o->base > at ? o->base : at;
				skip = o->base + o->size;
			}
		}
		for (int i = 0; i < c->nregions; i++) {
			struct region *r = &c->regions[i];
			if (r->base + r->size > at && r->base < next) {
				next = r->base > at ? r->base : at;
				skip = r->base + r->size;
			}
		}
		if (next > at) {
			if (u->n == UNIMP_MAX_PIECES)
				return -2;
			struct unimp_piece *p = &u->piece[u->n++];
			p->d = d;
			p->base = at;
			if (uc_mmio_map(c->uc, at, next - at, unimp_read, p, unimp_write, p))
				return -3;
		}
		at = next < end ? skip : end;
	}
	d->mapped = 0;   /* core_mmio: nothing to answer from Python */
	return 0;
}

const struct device_model dev_unimplemented = {
	.kind = "unimplemented",
	.init = unimp_init,
	.read = unimp_dev_read,
	.write = unimp_dev_write,
};
