package dev.quadrant.device.comm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.FloatBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every collective of {@link LocalCommunicator} for n = 1, 2, 3, 4, 8 ranks and counts 0, 1, 7, 1000, 1_000_003:
 * against a float64 reference (tolerance: float32 summation order) and the exact rank-order float32 sum, bit-identical
 * on every rank, the same when run twice, nothing outside the regions touched, no helper thread left after close.
 */
class LocalCommunicatorCollectivesTest {

    static Stream<Arguments> cases() {
        List<Arguments> cases = new ArrayList<>();
        for (int n : new int[] {1, 2, 3, 4, 8}) {
            for (int count : new int[] {0, 1, 7, 1000, 1_000_003}) {
                cases.add(Arguments.of(n, count));
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "n={0} count={1}")
    @MethodSource("cases")
    void everyCollectiveMatchesReference(int n, int count) {
        RegionFixture f = new RegionFixture(n, count, 31L * n + count);
        List<LocalCommunicator> comms = LocalCommunicator.create(n, Duration.ofSeconds(60));
        String tag = " n=" + n + " count=" + count;

        f.load();
        Ranks.runOk(n, r -> comms.get(r).allReduce(f.bufs[r], f.offsets[r], count, ReduceOp.SUM));
        float[] sum = f.region(0);
        f.checkReduced("allReduce SUM" + tag + " rank 0", sum, 0, count, ReduceOp.SUM);
        for (int r = 1; r < n; r++) {
            RegionFixture.checkBits("allReduce SUM" + tag + " rank " + r + " vs rank 0", sum, f.region(r), 0, count);
        }
        f.checkOutsideUntouched("allReduce SUM" + tag);

        f.load();
        Ranks.runOk(n, r -> comms.get(r).allReduce(f.bufs[r], f.offsets[r], count, ReduceOp.SUM));
        for (int r = 0; r < n; r++) {
            RegionFixture.checkBits("allReduce SUM second run" + tag + " rank " + r, sum, f.region(r), 0, count);
        }

        f.load();
        Ranks.runOk(n, r -> comms.get(r).allReduce(f.bufs[r], f.offsets[r], count, ReduceOp.AVERAGE));
        float[] avg = f.region(0);
        f.checkReduced("allReduce AVERAGE" + tag, avg, 0, count, ReduceOp.AVERAGE);
        for (int r = 1; r < n; r++) {
            RegionFixture.checkBits("allReduce AVERAGE" + tag + " rank " + r + " vs rank 0", avg, f.region(r), 0, count);
        }

        f.load();
        Ranks.runOk(n, r -> comms.get(r).reduceScatter(f.bufs[r], f.offsets[r], count, ReduceOp.SUM));
        for (int r = 0; r < n; r++) {
            int from = Shards.offset(count, n, r);
            int len = Shards.length(count, n, r);
            float[] got = f.region(r);
            f.checkReduced("reduceScatter" + tag + " rank " + r + " own shard", got, from, len, ReduceOp.SUM);
            RegionFixture.checkBits("reduceScatter" + tag + " rank " + r + " before its shard", f.inputs[r], got, 0, from);
            RegionFixture.checkBits("reduceScatter" + tag + " rank " + r + " after its shard", f.inputs[r], got,
                    from + len, count - from - len);
        }
        f.checkOutsideUntouched("reduceScatter" + tag);

        f.loadOwnShards();
        Ranks.runOk(n, r -> comms.get(r).allGather(f.bufs[r], f.offsets[r], count));
        float[] gathered = new float[count];
        for (int q = 0; q < n; q++) {
            int from = Shards.offset(count, n, q);
            System.arraycopy(f.inputs[q], from, gathered, from, Shards.length(count, n, q));
        }
        for (int r = 0; r < n; r++) {
            RegionFixture.checkBits("allGather" + tag + " rank " + r, gathered, f.region(r), 0, count);
        }
        f.checkOutsideUntouched("allGather" + tag);

        int reduceRoot = n - 1;
        f.load();
        Ranks.runOk(n, r -> comms.get(r).reduce(f.bufs[r], f.offsets[r], count, ReduceOp.SUM, reduceRoot));
        for (int r = 0; r < n; r++) {
            if (r == reduceRoot) {
                RegionFixture.checkBits("reduce to root" + tag, sum, f.region(r), 0, count);
            } else {
                RegionFixture.checkBits("reduce" + tag + " non-root rank " + r, f.inputs[r], f.region(r), 0, count);
            }
        }
        f.checkOutsideUntouched("reduce" + tag);

        int bcastRoot = n / 2;
        f.load();
        Ranks.runOk(n, r -> comms.get(r).broadcast(f.bufs[r], f.offsets[r], count, bcastRoot));
        for (int r = 0; r < n; r++) {
            RegionFixture.checkBits("broadcast from " + bcastRoot + tag + " rank " + r, f.inputs[bcastRoot],
                    f.region(r), 0, count);
        }
        f.checkOutsideUntouched("broadcast" + tag);

        // two async buckets, awaited after both are started, then a blocking collective ordered after them
        f.load();
        int half = count / 2;
        Ranks.runOk(n, r -> {
            LocalCommunicator c = comms.get(r);
            CommHandle upper = c.allReduceAsync(f.bufs[r], f.offsets[r] + half, count - half, ReduceOp.AVERAGE);
            CommHandle lower = c.allReduceAsync(f.bufs[r], f.offsets[r], half, ReduceOp.AVERAGE);
            c.barrier();
            upper.await();
            lower.await();
            upper.await();
        });
        for (int r = 0; r < n; r++) {
            RegionFixture.checkBits("allReduceAsync AVERAGE" + tag + " rank " + r, avg, f.region(r), 0, count);
        }

        f.load();
        Ranks.runOk(n, r -> new ParameterServerExchange<FloatBuffer>(comms.get(r), 0)
                .exchange(f.bufs[r], f.offsets[r], count, ReduceOp.SUM));
        for (int r = 0; r < n; r++) {
            RegionFixture.checkBits("parameter-server exchange vs allReduce" + tag + " rank " + r, sum,
                    f.region(r), 0, count);
        }
        f.checkOutsideUntouched("parameter-server exchange" + tag);

        Ranks.closeAll(comms);
    }

    @ParameterizedTest(name = "count={0} parts={1}")
    @MethodSource("shardCases")
    void shardsPartitionTheRegion(int count, int parts) {
        int next = 0;
        for (int i = 0; i < parts; i++) {
            assertEquals(next, Shards.offset(count, parts, i), "shard " + i + " of " + parts + " over " + count);
            int len = Shards.length(count, parts, i);
            assertEquals(true, len == count / parts || len == count / parts + 1, "shard length " + len);
            next += len;
        }
        assertEquals(count, next, "shards of " + count + " in " + parts + " do not add up");
    }

    static Stream<Arguments> shardCases() {
        return Stream.of(Arguments.of(0, 1), Arguments.of(0, 3), Arguments.of(1, 8), Arguments.of(7, 3),
                Arguments.of(1000, 8), Arguments.of(1_000_003, 7), Arguments.of(Integer.MAX_VALUE, 16));
    }
}
