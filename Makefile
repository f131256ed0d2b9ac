# Blackbox: the one non-recursive Makefile. `make` builds the kernel ELF and the bootable ISO;
# `make run` boots it in QEMU; `make test` runs the unit and QEMU scenario tests; `make bench`
# prints timing figures. Missing Debian packages are installed first (tools/ensure-deps).

CROSS   ?=
CC      := $(CROSS)gcc
LD      := $(CROSS)ld
NM      := $(CROSS)nm
OBJCOPY := $(CROSS)objcopy
HOSTCC  ?= gcc
NASM    ?= nasm
PYTHON  := /usr/bin/python3
B       := build

WARN := -Wall -Wextra -Werror
# No function clones (kfree.part.0, .isra, .constprop, .cold): a crash's faulting function and
# its bucket carry the name in the source.
NO_CLONES := -fno-partial-inlining -fno-ipa-sra -fno-ipa-cp -fno-reorder-blocks-and-partition
# BB_KERNEL: the portable cores' kernel-only parts (the FAT layer's crash point, fat.h).
KERNEL_CFLAGS := -std=gnu11 -O2 -g $(WARN) $(NO_CLONES) -DBB_KERNEL -ffreestanding -fno-pic -fno-pie -mno-red-zone \
    -mcmodel=kernel -mgeneral-regs-only -fno-omit-frame-pointer -fno-stack-protector \
    -fno-asynchronous-unwind-tables -fno-strict-aliasing -ffunction-sections -nostdinc \
    -isystem $(shell $(CC) -print-file-name=include) -Ikernel/libc/include -I. -Ikernel -MMD -MP
KERNEL_LDFLAGS := -nostdlib -z max-page-size=4096 -z noexecstack --no-warn-rwx-segments --build-id=sha1 -T linker.ld
HOST_CFLAGS := -std=gnu11 -O2 -g $(WARN) -I. -Ikernel -MMD -MP
UNIT_CFLAGS := -std=gnu11 -O1 -g $(WARN) -fsanitize=address,undefined -fno-omit-frame-pointer \
    -I. -Ikernel -MMD -MP

# The kernel links only the dump format's portable cores it writes and checks a dump with;
# dump_read and dump_verify (reading a dump back) and dump/recovery/ (retention, conversion) are
# for userland (smss, werfault) and the host tools. The clones (drivers/*/*_clone.c,
# dump/clone/) are linked on their own, below.
KERNEL_DUMP_C := dump/dump_format.c dump/dump_chunks.c dump/dump_mini.c dump/dump_validate.c \
    dump/dump_cpu.c
KERNEL_C   := $(shell find kernel drivers dump/stack -name '*.c' -not -path 'drivers/*/*_clone.c' 2>/dev/null | sort) \
    $(KERNEL_DUMP_C)
KERNEL_ASM := $(shell find boot kernel drivers dump -name '*.asm' | sort)
KERNEL_OBJ := $(KERNEL_C:%.c=$(B)/k/%.o) $(KERNEL_ASM:%.asm=$(B)/k/%.o)
# The portable cores: plain C built freestanding (kernel, userland) and hosted (tools, tests).
# kernel/lib is the bottom layer; reg_hive and evlog_fat (on FAT32) live with their services.
PORTABLE_C := $(wildcard kernel/lib/*.c kernel/lib/*/*.c kernel/fs/*/*.c dump/*.c dump/recovery/*.c) \
    kernel/config/reg_hive.c kernel/eventlog/evlog_fat.c
HOSTLIB_C  := $(wildcard tools/lib/*.c)
UNIT_SRC   := $(wildcard tests/unit/test_*.c)
UNIT_BIN   := $(UNIT_SRC:tests/unit/%.c=$(B)/unit/%)

# The clones: for every driver folder drivers/X/ with an X_clone.c, that file and the live
# driver's hardware ops (X.c) plus the clone run-time (dump/clone/), linked alone as the
# position-independent image dump_X and packed by mkclone; the folder embeds it
# (X_clone_image.asm) and hands it over with its disks. A new driver needs no line here.
CLONE_CFLAGS := $(filter-out -mcmodel=kernel -fno-pic -fno-pie,$(KERNEL_CFLAGS)) -fpie -fvisibility=hidden
CLONE_RT_C   := dump/clone/clone_rt.c kernel/lib/fmt.c kernel/libc/string.c
CLONES       := $(sort $(patsubst drivers/%/,%,$(dir $(wildcard drivers/*/*_clone.c))))

# User programs: userland/libc (syscall stubs, stdio over kernel/lib/fmt.c, the kernel's
# <string.h> source) and one program per userland/NAME/ folder, linked static at 0x400000 by
# userland/user.ld. Stripped copies are embedded in the kernel (kernel/proc/program_images.asm).
USER_CFLAGS := -std=gnu11 -O2 -g $(WARN) -ffreestanding -fno-pic -fno-pie -mgeneral-regs-only \
    -fno-stack-protector -fno-asynchronous-unwind-tables -fno-omit-frame-pointer -nostdinc \
    -isystem $(shell $(CC) -print-file-name=include) -Iuserland/libc/include \
    -Ikernel/libc/include -I. -Ikernel -MMD -MP
USER_LDFLAGS := -nostdlib -static -z max-page-size=4096 -z noexecstack -T userland/user.ld
USER_LIBC_OBJ := $(patsubst %.c,$(B)/u/%.o,$(wildcard userland/libc/*.c) kernel/lib/fmt.c \
    kernel/libc/string.c) $(B)/u/userland/libc/crt0.o
# The portable cores (dump format, FAT32, registry, CRCs...) compiled for ring 3 and archived:
# a program links only the members it uses.
USER_PORTABLE_A := $(B)/u/libportable.a
USER_PROGS := $(sort $(patsubst userland/%/,%,$(filter-out userland/libc/,$(dir $(wildcard userland/*/*.c)))))
USER_BINS := $(USER_PROGS:%=$(B)/user/%.bin)

.PHONY: all deps disks run test unit fuzz fuzz-build fuzz-corpus bench matrix clean FORCE
all: $(B)/blackbox.elf $(B)/blackbox.iso

deps: $(B)/.deps-ok
$(B)/.deps-ok: tools/debian-packages.txt tools/ensure-deps
	@mkdir -p $(B)
	tools/ensure-deps
	@touch $@

# The kernel's flags as last built with: a change (a new -f option) rebuilds every object.
$(B)/k/.cflags: FORCE | $(B)/.deps-ok
	@mkdir -p $(dir $@)
	@echo '$(KERNEL_CFLAGS)' | cmp -s - $@ || echo '$(KERNEL_CFLAGS)' > $@

$(B)/k/%.o: %.c $(B)/k/.cflags | $(B)/.deps-ok
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(KERNEL_CFLAGS) -c $< -o $@

$(B)/k/%.o: %.asm | $(B)/.deps-ok
	@mkdir -p $(dir $@)
	@echo "  NASM    $<"
	@$(NASM) -f elf64 -g -F dwarf -MD $(@:.o=.d) -MP $< -o $@

# Two-pass link: pass 1 has no symbol table; its text symbols become .ksyms for pass 2.
# .ksyms sits after all code, so the check below proves no function moved.
$(B)/blackbox.pass1.elf: $(KERNEL_OBJ) linker.ld
	@echo "  LD      $@"
	@$(LD) $(KERNEL_LDFLAGS) -o $@ $(KERNEL_OBJ)

$(B)/ksyms.bin: $(B)/blackbox.pass1.elf $(B)/tools/mkksyms
	@echo "  KSYMS   $@"
	@$(NM) -n -S --defined-only $< | $(B)/tools/mkksyms $@

$(B)/ksyms.o: $(B)/ksyms.bin
	@cd $(B) && $(OBJCOPY) -I binary -O elf64-x86-64 -B i386:x86-64 \
	    --rename-section .data=.ksyms,alloc,load,readonly,data,contents ksyms.bin ksyms.o

$(B)/blackbox.elf: $(KERNEL_OBJ) $(B)/ksyms.o linker.ld
	@echo "  LD      $@"
	@$(LD) $(KERNEL_LDFLAGS) -o $@ $(KERNEL_OBJ) $(B)/ksyms.o
	@$(NM) -n $(B)/blackbox.pass1.elf | grep ' [tTwW] ' > $(B)/text.pass1
	@$(NM) -n $@ | grep ' [tTwW] ' > $(B)/text.final
	@cmp -s $(B)/text.pass1 $(B)/text.final || { echo "ksyms: functions moved between link passes" >&2; rm -f $@; exit 1; }
	@$(NM) -n $@ > $(B)/blackbox.sym
	@$(PYTHON) tools/check-crash-path $@ || { rm -f $@; exit 1; }

$(B)/blackbox.iso: $(B)/blackbox.elf boot/grub.cfg
	@rm -rf $(B)/iso && mkdir -p $(B)/iso/boot/grub
	@cp $(B)/blackbox.elf $(B)/iso/boot/blackbox.elf
	@cp boot/grub.cfg $(B)/iso/boot/grub/grub.cfg
	@echo "  ISO     $@"
	@grub-mkrescue -o $@ $(B)/iso 2>$(B)/grub-mkrescue.log || { cat $(B)/grub-mkrescue.log; exit 1; }

$(B)/u/%.o: %.c | $(B)/.deps-ok
	@mkdir -p $(dir $@)
	@echo "  USERCC  $<"
	@$(CC) $(USER_CFLAGS) -c $< -o $@

$(B)/u/%.o: %.asm | $(B)/.deps-ok
	@mkdir -p $(dir $@)
	@echo "  NASM    $<"
	@$(NASM) -f elf64 -g -F dwarf -MD $(@:.o=.d) -MP $< -o $@

$(USER_PORTABLE_A): $(patsubst %.c,$(B)/u/%.o,$(filter-out kernel/lib/fmt.c,$(PORTABLE_C)))
	@echo "  AR      $@"
	@rm -f $@ && ar rcs $@ $(filter %.o,$^)

define USER_PROG
$(B)/user/$(1).elf: $(patsubst %.c,$(B)/u/%.o,$(wildcard userland/$(1)/*.c)) $(USER_LIBC_OBJ) $(USER_PORTABLE_A) userland/user.ld
	@mkdir -p $$(dir $$@)
	@echo "  USERLD  $$@"
	@$(LD) $(USER_LDFLAGS) -o $$@ $$(filter %.o,$$^) $(USER_PORTABLE_A)
endef
$(foreach p,$(USER_PROGS),$(eval $(call USER_PROG,$(p))))

$(B)/user/%.bin: $(B)/user/%.elf
	@$(OBJCOPY) --strip-all $< $@

# The list of embedded programs, rewritten only when it changes.
$(B)/user/programs.inc: FORCE
	@mkdir -p $(dir $@)
	@printf '%s\n' $(USER_PROGS:%=PROGRAM\ %) > $@.new
	@cmp -s $@.new $@ && rm $@.new || mv $@.new $@

$(B)/k/kernel/proc/program_images.o: $(USER_BINS) $(B)/user/programs.inc

.PHONY: FORCE
FORCE:

$(B)/clone/%.o: %.c | $(B)/.deps-ok
	@mkdir -p $(dir $@)
	@echo "  CLONECC $<"
	@$(CC) $(CLONE_CFLAGS) -c $< -o $@

CLONE_LD = $(LD) -pie --no-dynamic-linker -z noexecstack -z norelro --no-warn-rwx-segments -T dump/clone/clone.ld

define CLONE
$(B)/dump_$(1).elf: $(patsubst %.c,$(B)/clone/%.o,drivers/$(1)/$(1)_clone.c drivers/$(1)/$(1).c $(CLONE_RT_C)) dump/clone/clone.ld
	@echo "  CLONELD $$@"
	@$(CLONE_LD) -o $$@ $$(filter %.o,$$^)

$(B)/k/drivers/$(1)/$(1)_clone_image.o: $(B)/dump_$(1).clone
endef
$(foreach c,$(CLONES),$(eval $(call CLONE,$(c))))

$(B)/dump_%.clone: $(B)/dump_%.elf $(B)/tools/mkclone
	@echo "  CLONE   $@"
	@$(B)/tools/mkclone $< dump_$* $@


$(B)/tools/mkclone: tools/mkclone.c dump/clone/clone_abi.h | $(B)/.deps-ok
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $@"
	@$(HOSTCC) $(HOST_CFLAGS) $< -o $@

# The host side compiles each portable core and tools/lib file once per flavour into build/h
# (HOST_CFLAGS: tools), build/ut (UNIT_CFLAGS: unit tests, sanitizers) and build/fz (FUZZ_CFLAGS,
# clang: the fuzz targets), and archives them: a binary links only the members it uses, and
# editing a source rebuilds its object (the -MMD .d files), its archive, then each binary.
HOST_PORTABLE_A := $(B)/h/libportable.a
HOST_LIB_A      := $(B)/h/libhostlib.a
UNIT_PORTABLE_A := $(B)/ut/libportable.a
UNIT_LIB_A      := $(B)/ut/libhostlib.a
FUZZ_PORTABLE_A := $(B)/fz/libportable.a

$(B)/h/%.o: %.c | $(B)/.deps-ok
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $<"
	@$(HOSTCC) $(HOST_CFLAGS) -c $< -o $@

$(B)/ut/%.o: %.c | $(B)/.deps-ok
	@mkdir -p $(dir $@)
	@echo "  UNITCC  $<"
	@$(HOSTCC) $(UNIT_CFLAGS) -c $< -o $@

$(B)/fz/%.o: %.c | $(B)/.deps-ok
	@mkdir -p $(dir $@)
	@echo "  FUZZCC  $<"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) -MMD -MP -c $< -o $@

$(HOST_PORTABLE_A): $(PORTABLE_C:%.c=$(B)/h/%.o)
$(HOST_LIB_A): $(HOSTLIB_C:%.c=$(B)/h/%.o)
$(UNIT_PORTABLE_A): $(PORTABLE_C:%.c=$(B)/ut/%.o)
$(UNIT_LIB_A): $(HOSTLIB_C:%.c=$(B)/ut/%.o)
$(FUZZ_PORTABLE_A): $(PORTABLE_C:%.c=$(B)/fz/%.o)
$(HOST_PORTABLE_A) $(HOST_LIB_A) $(UNIT_PORTABLE_A) $(UNIT_LIB_A) $(FUZZ_PORTABLE_A):
	@echo "  AR      $@"
	@rm -f $@ && ar rcs $@ $(filter %.o,$^)

# mkksyms takes the one core it needs as an object, so the kernel's link waits on no archive.
$(B)/tools/mkksyms: $(B)/h/tools/mkksyms.o $(B)/h/kernel/lib/ksym.o
	@mkdir -p $(dir $@)
	@echo "  HOSTLD  $@"
	@$(HOSTCC) $(filter %.o %.a,$^) -o $@

# bbdump: its sources are in tools/dumptool/ (tools/bbdump builds and runs it); it links the
# portable cores (dump format, CRC32C, bug codes, klog ring) and elfutils' libdw for symbols
# and DWARF lines. DUMPTOOL_C, the dump reading and symbolizing, ocad links too.
DT := tools/dumptool
DUMPTOOL_C := $(DT)/bbdump_file.c $(DT)/bbdump_mem.c $(DT)/bbdump_sym.c $(DT)/bbdump_stack.c
BBDUMP_C := $(DT)/bbdump.c $(DT)/bbdump_analyze.c $(DT)/bbdump_elf.c $(DT)/bbdump_mini.c \
    $(DT)/bbdump_events.c $(DT)/bbdump_report.c $(DT)/bbdump_copy.c $(DT)/bbdump_disk.c \
    $(DT)/bbdump_extract.c $(DT)/bbdump_name.c $(DUMPTOOL_C)
$(B)/tools/bbdump: $(BBDUMP_C:%.c=$(B)/h/%.o) $(HOST_LIB_A) $(HOST_PORTABLE_A)
	@mkdir -p $(dir $@)
	@echo "  HOSTLD  $@"
	@$(HOSTCC) $(filter %.o %.a,$^) -ldw -lelf -o $@

# ocad: the crash-report collector; the dump tools' files for symbols and buckets, SQLite.
OCAD_C := tools/ocad.c tools/ocad_db.c $(DUMPTOOL_C)
$(B)/tools/ocad: $(OCAD_C:%.c=$(B)/h/%.o) $(HOST_PORTABLE_A)
	@mkdir -p $(dir $@)
	@echo "  HOSTLD  $@"
	@$(HOSTCC) $(filter %.o %.a,$^) -lsqlite3 -ldw -lelf -o $@

$(B)/unit/%: tests/unit/%.c tests/unit/ut.h $(UNIT_LIB_A) $(UNIT_PORTABLE_A) | $(B)/.deps-ok
	@mkdir -p $(dir $@)
	@echo "  UNIT    $@"
	@$(HOSTCC) $(UNIT_CFLAGS) $< $(UNIT_LIB_A) $(UNIT_PORTABLE_A) -o $@

$(B)/unit/test_bbdump_copy: $(DT)/bbdump_copy.c $(DT)/bbdump_extract.h
$(B)/unit/test_bbdump_name: $(DT)/bbdump_name.c $(DT)/bbdump_extract.h

unit: $(UNIT_BIN) $(B)/tools/bbdump $(B)/tools/ocad

# The libFuzzer targets (clang): every tests/fuzz/fuzz_NAME.c is linked as build/fuzz/fuzz_NAME
# with the portable cores, the host library and what FUZZ_C_NAME / FUZZ_LIBS_NAME add (the
# bbdump readers it drives). `make fuzz-build` builds them and the dump seeds; `make fuzz` also
# runs each for BB_FUZZ_SECONDS (tests/fuzz/fuzzrun.py: exec/s and coverage per target);
# tests/unit/test_fuzz.py replays every seed and runs a short round of each.
FUZZ_CC     := clang
FUZZ_CFLAGS := -std=gnu11 -O1 -g $(WARN) -fsanitize=fuzzer,address,undefined \
    -fno-sanitize-recover=undefined -I. -Ikernel
FUZZ_LIB_A  := $(B)/fz/libhostlib.a
FUZZ_NAMES  := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS   := $(FUZZ_NAMES:%=$(B)/fuzz/fuzz_%)
FUZZ_C_dump := $(DT)/bbdump_file.c $(DT)/bbdump_mem.c $(DT)/bbdump_copy.c
FUZZ_C_bbdump := $(DT)/bbdump_file.c $(DT)/bbdump_mem.c $(DT)/bbdump_elf.c $(DT)/bbdump_mini.c \
    $(DT)/bbdump_report.c $(DT)/bbdump_stack.c $(DT)/bbdump_sym.c
FUZZ_LIBS_bbdump := -ldw -lelf
FUZZ_C_bbdump_disk := $(DT)/bbdump_disk.c $(DT)/bbdump_copy.c $(DT)/bbdump_events.c
$(FUZZ_LIB_A): $(HOSTLIB_C:%.c=$(B)/fz/%.o)
	@echo "  AR      $@"
	@rm -f $@ && ar rcs $@ $(filter %.o,$^)

define FUZZ_template
$(B)/fuzz/fuzz_$(1): $(patsubst %.c,$(B)/fz/%.o,tests/fuzz/fuzz_$(1).c $(FUZZ_C_$(1))) $(FUZZ_LIB_A) $(FUZZ_PORTABLE_A)
	@mkdir -p $$(dir $$@)
	@echo "  FUZZLD  $$@"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) $$(filter %.o,$$^) $(FUZZ_LIB_A) $(FUZZ_PORTABLE_A) $(FUZZ_LIBS_$(1)) -o $$@
endef
$(foreach n,$(FUZZ_NAMES),$(eval $(call FUZZ_template,$(n))))

$(B)/fuzz/mkseeds: $(B)/h/tests/fuzz/mkseeds.o $(HOST_PORTABLE_A)
	@mkdir -p $(dir $@)
	@echo "  HOSTLD  $@"
	@$(HOSTCC) $(filter %.o %.a,$^) -o $@

$(B)/fuzz/seeds/.made: $(B)/fuzz/mkseeds
	@mkdir -p $(dir $@)
	@echo "  SEEDS   $(dir $@)"
	@$(B)/fuzz/mkseeds $(dir $@) && touch $@

fuzz-build: $(FUZZ_BINS) $(B)/fuzz/seeds/.made

fuzz: fuzz-build
	$(PYTHON) tests/fuzz/fuzzrun.py

# Rewrites the committed seed corpora (tests/fuzz/seeds/) with tests/fuzz/mkcorpus.c.
$(B)/fuzz/mkcorpus: $(B)/h/tests/fuzz/mkcorpus.o $(HOST_LIB_A) $(HOST_PORTABLE_A)
	@mkdir -p $(dir $@)
	@echo "  HOSTLD  $@"
	@$(HOSTCC) $(filter %.o %.a,$^) -o $@

fuzz-corpus: $(B)/fuzz/mkcorpus
	$(B)/fuzz/mkcorpus tests/fuzz/seeds

$(B)/tools/bbreg: $(B)/h/tools/bbreg.o $(HOST_LIB_A) $(HOST_PORTABLE_A)
	@mkdir -p $(dir $@)
	@echo "  HOSTLD  $@"
	@$(HOSTCC) $(filter %.o %.a,$^) -o $@

# The guest's disks, made once: an image holds the guest's state (dumps, registry), so it is
# only ever created when missing, never remade or wiped. `rm` one to start it afresh.
DISKS := $(B)/disks/system.img $(B)/disks/data.img
disks: $(DISKS)

$(B)/disks/system.img: | $(B)/.deps-ok
	@mkdir -p $(dir $@)
	tools/mkdisk $@ 64G SYSTEM

$(B)/disks/data.img: | $(B)/.deps-ok
	@mkdir -p $(dir $@)
	tools/mkdisk $@ 32G DATA

run: all disks
	tools/run-qemu --smp 2 --system $(B)/disks/system.img --data $(B)/disks/data.img $(RUNFLAGS)

test: all unit fuzz-build $(B)/tools/mkksyms $(B)/tools/bbreg
	$(PYTHON) -m pytest -v -p no:cacheprovider tests/unit tests/scenarios

# The fault matrix (tests/scenarios/matrix.py): every crash context x target x dump type,
# crashed, recovered and judged; not part of `make test`. MATRIX="-j 2 shell-null" filters.
matrix: all $(B)/tools/bbreg
	$(PYTHON) tests/scenarios/matrix.py $(MATRIX)

bench: all
	$(PYTHON) bench/boot_time.py
	$(PYTHON) bench/storage.py
	$(PYTHON) bench/dump.py
	$(PYTHON) bench/dump_scale.py

clean:
	rm -rf $(B)

-include $(shell find $(B) -name '*.d' 2>/dev/null)
