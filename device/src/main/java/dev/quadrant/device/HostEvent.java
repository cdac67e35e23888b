package dev.quadrant.device;

/** {@link StreamEvent#none()}. */
enum HostEvent implements StreamEvent {
    INSTANCE;

    @Override
    public void record(Backend producer) {}

    @Override
    public void waitIn(Backend consumer) {}

    @Override
    public void close() {}
}
