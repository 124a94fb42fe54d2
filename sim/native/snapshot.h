/* Snapshots of a core (snapshot.c): what the models' save and restore ops (arch.h, dev/dev.h)
 * write and read. A snapshot is an in-memory blob of one core's whole state, restored into the
 * same core or into another core of the same image and board (Machine.fork). Each model
 * writes its state by meaning in the order it reads it back; a model whose state is plain data
 * (no pointers, nothing that belongs to the instance) copies it as is.
 */
#ifndef SIM_NATIVE_SNAPSHOT_H_
#define SIM_NATIVE_SNAPSHOT_H_

#include <stddef.h>
#include <stdint.h>

struct snapshot;

/* Appends to a snapshot being taken; a failed allocation sets `err` (the snapshot is then
 * refused as a whole). */
struct snap_w {
	uint8_t *p;
	size_t len, cap;
	int err;
	struct snapshot *s;      /* the snapshot: host descriptors it owns (snap_own_fd) */
};

/* Reads a snapshot back: a read past its end sets `err` (a model never reads more than it
 * wrote, so that is a bug or a snapshot of another layout). */
struct snap_r {
	const uint8_t *p;
	size_t len, pos;
	int err;
};

void snap_put(struct snap_w *w, const void *src, size_t n);
/* The next n bytes, or NULL (and err set) when fewer are left. */
const void *snap_take(struct snap_r *r, size_t n);
/* Copies the next n bytes to dst: 0, or -1 (err set). */
int snap_get(struct snap_r *r, void *dst, size_t n);
/* A host descriptor (a dup) the snapshot keeps open and closes when it is freed. */
int snap_own_fd(struct snap_w *w, int fd);

static inline void snap_put_u64(struct snap_w *w, uint64_t v) { snap_put(w, &v, 8); }
static inline uint64_t snap_get_u64(struct snap_r *r)
{
	uint64_t v = 0;
	snap_get(r, &v, 8);
	return v;
}

#endif /* SIM_NATIVE_SNAPSHOT_H_ */
