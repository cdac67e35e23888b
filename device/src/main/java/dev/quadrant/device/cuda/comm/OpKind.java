package dev.quadrant.device.cuda.comm;

/** The collectives, with the names errors and stall reports use. */
enum OpKind {
    ALL_REDUCE("allReduce"), REDUCE_SCATTER("reduceScatter"), ALL_GATHER("allGather"), REDUCE("reduce"),
    BROADCAST("broadcast"), BARRIER("barrier");

    final String label;

    OpKind(String label) {
        this.label = label;
    }

    boolean reduces() {
        return this == ALL_REDUCE || this == REDUCE_SCATTER || this == REDUCE;
    }
}
