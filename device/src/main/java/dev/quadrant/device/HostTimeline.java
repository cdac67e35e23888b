package dev.quadrant.device;

/** {@link Timeline#host()}: a mark is a {@link System#nanoTime()} reading. Stateless and thread-safe. */
enum HostTimeline implements Timeline {
    INSTANCE;

    private record HostMark(long nanos) implements Mark {
        @Override
        public boolean reached() { return true; }

        @Override
        public void await() {}

        @Override
        public double msSince(Mark earlier) {
            if (!(earlier instanceof HostMark e)) {
                throw new IllegalArgumentException("a host mark measured against a mark of another timeline: " + earlier);
            }
            return (nanos - e.nanos) / 1e6;
        }

        @Override
        public void release() {}
    }

    @Override
    public Mark mark() {
        return new HostMark(System.nanoTime());
    }

    @Override
    public void close() {}
}
