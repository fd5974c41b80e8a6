/* A file's path walked in the kernel (dentries up to the root, across mounts), leaf first. */
#ifndef HOSTMON_PATH_BPF_H
#define HOSTMON_PATH_BPF_H

/* Include after vmlinux.h, bpf_helpers.h, bpf_core_read.h and exe.h. */

/*
 * State of a path walk, one step a call: a bounded loop of subprogram calls
 * (bpf_loop, which would verify the step once, needs 5.17; we run from 5.10).
 */
struct path_walk {
	struct proc_path *p;
	struct kernfs_node *kn;
	struct dentry *d;
	struct mount *mnt;
};

/*
 * Appends a name read from the kernel to p; false when p is full (truncated).
 * The offset is masked below PROC_PATH_BYTES, the read is PROC_NAME_LEN at
 * most, so the verifier sees it inside names.
 */
static __always_inline bool path_push(struct proc_path *p, const char *name)
{
	__u32 off = p->len;
	long n;

	if (p->depth >= PROC_PATH_DEPTH || off >= PROC_PATH_BYTES) {
		p->truncated = 1;
		return false;
	}
	off &= PROC_PATH_BYTES - 1;
	n = bpf_probe_read_kernel_str(&p->names[off], PROC_NAME_LEN, name);
	if (n <= 0) {
		p->names[off] = 0;
		n = 1;
	}
	p->len = off + n;
	p->depth++;
	return true;
}

/* Kernel pointers are copied out of the walk first: CO-RE reads must not relocate path_walk. */
static long dentry_step(__u32 i, struct path_walk *w)
{
	struct dentry *d = w->d, *parent = BPF_CORE_READ(d, d_parent);
	struct mount *mnt = w->mnt, *mnt_parent;

	if (d == BPF_CORE_READ(mnt, mnt.mnt_root) || d == parent) {
		/* At the root of a mount: continue from where it is mounted. */
		mnt_parent = BPF_CORE_READ(mnt, mnt_parent);
		if (mnt_parent == mnt)
			return 1;
		w->d = BPF_CORE_READ(mnt, mnt_mountpoint);
		w->mnt = mnt_parent;
		return 0;
	}
	if (!path_push(w->p, (const char *)BPF_CORE_READ(d, d_name.name)))
		return 1;
	w->d = parent;
	return 0;
}

/* A file's path by walking dentries up to the root, crossing mount points. */
static void read_file_path(struct proc_path *p, struct file *f)
{
	struct path_walk w = { .p = p };

	p->depth = 0;
	p->truncated = 0;
	p->len = 0;
	if (!f)
		return;
	w.d = BPF_CORE_READ(f, f_path.dentry);
	w.mnt = container_of(BPF_CORE_READ(f, f_path.mnt), struct mount, mnt);
	for (int i = 0; i < 2 * PROC_PATH_DEPTH; i++)
		if (dentry_step(i, &w))
			return;
	p->truncated = 1;
}

#endif /* HOSTMON_PATH_BPF_H */
