/* Spinlocks for state two CPUs can touch (klog, console, allocators). Each is taken with
 * interrupts off on the local CPU, so an interrupt handler never spins on a lock its own CPU
 * holds. Never taken on the bugcheck path: a stopped CPU may hold any of them forever. */
#ifndef BB_SPINLOCK_H
#define BB_SPINLOCK_H

#include <stdint.h>
#include "arch/cpu.h"

struct spinlock {
    volatile uint32_t locked;   /* 0 free, 1 held */
};
#define SPINLOCK_INIT { 0 }

/* Disable interrupts, take the lock; returns the RFLAGS to hand to spin_unlock_irqrestore. */
static inline uint64_t spin_lock_irqsave(struct spinlock *l)
{
    uint64_t flags = irq_save();
    while (__atomic_exchange_n(&l->locked, 1u, __ATOMIC_ACQUIRE))
        while (__atomic_load_n(&l->locked, __ATOMIC_RELAXED))
            cpu_pause();
    return flags;
}

static inline void spin_unlock_irqrestore(struct spinlock *l, uint64_t flags)
{
    __atomic_store_n(&l->locked, 0u, __ATOMIC_RELEASE);
    irq_restore(flags);
}

#endif
