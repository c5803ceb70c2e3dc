# Open MPI (data-parallel pat pretrain/finetune and sharded scoring; every
# MPI call is in src/dist/comm.c). Off unless asked for: make MPI=1
# (Debian: apt-get install libopenmpi-dev openmpi-bin). The same binary
# runs as one process or under mpirun. Use its own build folder
# (make MPI=1 BUILD=build-mpi) or the stamp below rebuilds comm.o.
ifeq ($(MPI),1)
  ifeq ($(shell pkg-config --exists ompi-c && echo yes),yes)
    MPI_CFLAGS := $(shell pkg-config --cflags ompi-c) -DPAT_HAVE_MPI
    LDLIBS := $(shell pkg-config --libs ompi-c) $(LDLIBS)
    $(info ✓ Open MPI (mpirun -np N pat pretrain|finetune|embed|predict))
  else
    $(error MPI=1 but Open MPI was not found (apt-get install libopenmpi-dev openmpi-bin))
  endif
endif
MPI_STAMP := $(BUILD)/.mpi-$(if $(MPI_CFLAGS),on,off)
$(MPI_STAMP):
	@mkdir -p $(BUILD) && rm -f $(BUILD)/.mpi-on $(BUILD)/.mpi-off && touch $@
$(BUILD)/src/dist/comm.o: CFLAGS += $(MPI_CFLAGS)
$(BUILD)/src/dist/comm.o: $(MPI_STAMP)
