import java.nio.charset.StandardCharsets;
import java.util.*;
import java.util.concurrent.*;
import java.util.concurrent.atomic.*;
import org.apache.curator.framework.*;
import org.apache.curator.framework.api.transaction.*;
import org.apache.curator.framework.recipes.atomic.*;
import org.apache.curator.framework.recipes.cache.*;
import org.apache.curator.framework.recipes.leader.*;
import org.apache.curator.framework.recipes.locks.*;
import org.apache.curator.retry.*;

/**
 * Apache Curator (the recipes most Java services use) against a ZooKeeper-protocol server.
 * Usage: CuratorProbe CONNECT SCENARIO BASEPATH. Prints "OK scenario" on success, exits 1 otherwise.
 */
public final class CuratorProbe {
    private final String connect;
    private final String base;

    private CuratorProbe(String connect, String base) {
        this.connect = connect;
        this.base = base;
    }

    public static void main(String[] args) throws Exception {
        Thread watchdog = new Thread(() -> {
            try { Thread.sleep(120_000); } catch (InterruptedException e) { return; }
            System.out.println("FAIL watchdog: scenario took longer than 120 s");
            Runtime.getRuntime().halt(2);
        });
        watchdog.setDaemon(true);
        watchdog.start();
        CuratorProbe p = new CuratorProbe(args[0], args[2]);
        try {
            switch (args[1]) {
                case "lock": p.lock(); break;
                case "leaderLatch": p.leaderLatch(); break;
                case "cache": p.cache(); break;
                case "atomicLong": p.atomicLong(); break;
                case "transaction": p.transaction(); break;
                default: throw new IllegalArgumentException("unknown scenario " + args[1]);
            }
            System.out.println("OK " + args[1]);
            System.exit(0);
        } catch (Throwable t) {
            System.out.println("FAIL " + args[1] + ": " + t);
            t.printStackTrace(System.out);
            System.exit(1);
        }
    }

    /**
     * With COMPAT_SPREAD_CLIENTS=1 the k-th client gets only server (k mod n) of the connect string, so that
     * contending clients sit on different ensemble members.
     */
    private static final boolean SPREAD = "1".equals(System.getenv("COMPAT_SPREAD_CLIENTS"));
    private final AtomicInteger clientsStarted = new AtomicInteger();

    private String nextConnect() {
        if (!SPREAD) return connect;
        String[] servers = connect.split(",");
        int k = clientsStarted.getAndIncrement();
        System.out.println("OBS client" + k + ".server=" + servers[k % servers.length]);
        return servers[k % servers.length];
    }

    private CuratorFramework client() throws Exception {
        CuratorFramework c = CuratorFrameworkFactory.builder()
            .connectString(nextConnect()).sessionTimeoutMs(10_000).connectionTimeoutMs(10_000)
            .retryPolicy(new ExponentialBackoffRetry(100, 5)).build();
        c.start();
        if (!c.blockUntilConnected(20, TimeUnit.SECONDS)) throw new IllegalStateException("not connected");
        return c;
    }

    private static void check(boolean condition, String what) {
        if (!condition) throw new AssertionError(what);
    }

    interface Step { void run() throws Exception; }

    /** Runs one operation and waits until the cache reports exactly the event it should cause. */
    private static void step(BlockingQueue<String> events, List<String> got, String expected, Step op) throws Exception {
        op.run();
        String e = events.poll(20, TimeUnit.SECONDS);
        check(e != null, "event '" + expected + "' arrived; got " + got);
        got.add(e);
        check(e.equals(expected), "event " + got.size() + " is '" + expected + "'; got " + got);
    }

    /** InterProcessMutex from 4 clients: a read-modify-write counter under the lock loses no update, and no two hold it at once. */
    private void lock() throws Exception {
        int clients = 4, rounds = 15;
        String counter = base + "/counter";
        try (CuratorFramework setup = client()) {
            setup.create().creatingParentsIfNeeded().forPath(counter, "0".getBytes(StandardCharsets.UTF_8));
        }
        AtomicInteger holders = new AtomicInteger();
        AtomicInteger maxHolders = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        List<Future<?>> futures = new ArrayList<>();
        for (int i = 0; i < clients; i++) {
            futures.add(pool.submit(() -> {
                try (CuratorFramework c = client()) {
                    InterProcessMutex mutex = new InterProcessMutex(c, base + "/lock");
                    for (int r = 0; r < rounds; r++) {
                        check(mutex.acquire(30, TimeUnit.SECONDS), "lock acquired within 30 s");
                        try {
                            // Reentrant: a second acquire by the holder succeeds at once.
                            check(mutex.acquire(1, TimeUnit.SECONDS), "reentrant acquire");
                            mutex.release();
                            maxHolders.accumulateAndGet(holders.incrementAndGet(), Math::max);
                            int v = Integer.parseInt(new String(c.getData().forPath(counter), StandardCharsets.UTF_8));
                            c.setData().forPath(counter, Integer.toString(v + 1).getBytes(StandardCharsets.UTF_8));
                            holders.decrementAndGet();
                        } finally {
                            mutex.release();
                        }
                    }
                }
                return null;
            }));
        }
        for (Future<?> f : futures) f.get(100, TimeUnit.SECONDS);
        pool.shutdown();
        try (CuratorFramework c = client()) {
            int v = Integer.parseInt(new String(c.getData().forPath(counter), StandardCharsets.UTF_8));
            System.out.println("OBS counter=" + v + " maxHolders=" + maxHolders.get());
            check(v == clients * rounds, "counter " + v + " == " + clients * rounds);
            check(maxHolders.get() == 1, "never more than one holder");
            // The lock's parent is a container: it is either empty or already reaped.
            check(c.checkExists().forPath(base + "/lock") == null || c.getChildren().forPath(base + "/lock").isEmpty(), "lock nodes cleaned up");
        }
    }

    /** LeaderLatch with 3 participants: exactly one leader; when it leaves, another takes over. */
    private void leaderLatch() throws Exception {
        List<CuratorFramework> clients = new ArrayList<>();
        List<LeaderLatch> latches = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            CuratorFramework c = client();
            clients.add(c);
            LeaderLatch l = new LeaderLatch(c, base + "/latch", "p" + i);
            l.start();
            latches.add(l);
        }
        LeaderLatch leader = waitForSingleLeader(latches);
        System.out.println("OBS first leader " + leader.getId());
        for (LeaderLatch l : latches) check(l.getLeader().getId().equals(leader.getId()), "everyone agrees on the leader");
        leader.close();
        latches.remove(leader);
        LeaderLatch next = waitForSingleLeader(latches);
        System.out.println("OBS next leader " + next.getId());
        check(!next.getId().equals(leader.getId()), "a new leader");
        for (LeaderLatch l : latches) l.close();
        for (CuratorFramework c : clients) c.close();
    }

    private static LeaderLatch waitForSingleLeader(List<LeaderLatch> latches) throws Exception {
        long deadline = System.currentTimeMillis() + 30_000;
        while (System.currentTimeMillis() < deadline) {
            List<LeaderLatch> leaders = new ArrayList<>();
            for (LeaderLatch l : latches) if (l.hasLeadership()) leaders.add(l);
            check(leaders.size() <= 1, "at most one leader at a time");
            if (leaders.size() == 1) return leaders.get(0);
            Thread.sleep(50);
        }
        throw new AssertionError("no leader within 30 s");
    }

    /** CuratorCache (persistent recursive watch on 3.6+ servers) sees creates, changes and deletes below it, in order per node. */
    private void cache() throws Exception {
        try (CuratorFramework c = client()) {
            c.create().creatingParentsIfNeeded().forPath(base + "/tree");
            BlockingQueue<String> events = new LinkedBlockingQueue<>();
            CuratorCache cache = CuratorCache.build(c, base + "/tree");
            CountDownLatch initialized = new CountDownLatch(1);
            cache.listenable().addListener(CuratorCacheListener.builder()
                .forCreates(n -> events.add("create " + n.getPath() + " " + new String(n.getData(), StandardCharsets.UTF_8)))
                .forChanges((o, n) -> events.add("change " + n.getPath() + " " + new String(n.getData(), StandardCharsets.UTF_8)))
                .forDeletes(n -> events.add("delete " + n.getPath()))
                .forInitialized(initialized::countDown)
                .build());
            cache.start();
            check(initialized.await(20, TimeUnit.SECONDS), "cache initialized");
            events.clear();
            // CuratorCache re-reads a node after each event, so a change that lands before the re-read is folded into
            // the earlier event (on Apache ZooKeeper too): each step waits for its own event before the next one.
            List<String> got = new ArrayList<>();
            step(events, got, "create " + base + "/tree/a 1",
                () -> c.create().forPath(base + "/tree/a", "1".getBytes(StandardCharsets.UTF_8)));
            step(events, got, "create " + base + "/tree/a/b 2",
                () -> c.create().forPath(base + "/tree/a/b", "2".getBytes(StandardCharsets.UTF_8)));
            step(events, got, "change " + base + "/tree/a 3",
                () -> c.setData().forPath(base + "/tree/a", "3".getBytes(StandardCharsets.UTF_8)));
            step(events, got, "delete " + base + "/tree/a/b", () -> c.delete().forPath(base + "/tree/a/b"));
            System.out.println("OBS events " + got);
            String extra = events.poll(500, TimeUnit.MILLISECONDS);
            check(extra == null, "no event beyond the four; got " + extra);
            check(cache.get(base + "/tree/a").isPresent(), "cache holds /tree/a");
            check(!cache.get(base + "/tree/a/b").isPresent(), "cache dropped /tree/a/b");
            cache.close();
        }
    }

    /** DistributedAtomicLong: concurrent increments from 3 clients all count. */
    private void atomicLong() throws Exception {
        int clients = 3, rounds = 20;
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        List<Future<?>> futures = new ArrayList<>();
        for (int i = 0; i < clients; i++) {
            futures.add(pool.submit(() -> {
                try (CuratorFramework c = client()) {
                    DistributedAtomicLong n = new DistributedAtomicLong(c, base + "/n", new RetryNTimes(1000, 5));
                    for (int r = 0; r < rounds; r++) {
                        AtomicValue<Long> v = n.increment();
                        check(v.succeeded(), "increment succeeded");
                        check(v.postValue() == v.preValue() + 1, "post = pre + 1");
                    }
                }
                return null;
            }));
        }
        for (Future<?> f : futures) f.get(100, TimeUnit.SECONDS);
        pool.shutdown();
        try (CuratorFramework c = client()) {
            long v = new DistributedAtomicLong(c, base + "/n", new RetryNTimes(3, 10)).get().postValue();
            System.out.println("OBS value=" + v);
            check(v == clients * rounds, "value " + v + " == " + clients * rounds);
        }
    }

    /** Curator transactions: all-or-nothing, with a version check. */
    private void transaction() throws Exception {
        try (CuratorFramework c = client()) {
            c.create().creatingParentsIfNeeded().forPath(base + "/t", "0".getBytes(StandardCharsets.UTF_8));
            CuratorOp ok1 = c.transactionOp().check().withVersion(0).forPath(base + "/t");
            CuratorOp ok2 = c.transactionOp().create().forPath(base + "/t/x", "x".getBytes(StandardCharsets.UTF_8));
            CuratorOp ok3 = c.transactionOp().setData().forPath(base + "/t", "1".getBytes(StandardCharsets.UTF_8));
            List<CuratorTransactionResult> results = c.transaction().forOperations(ok1, ok2, ok3);
            check(results.size() == 3, "three results");
            check(c.checkExists().forPath(base + "/t/x") != null, "created in the transaction");
            try {
                c.transaction().forOperations(
                    c.transactionOp().create().forPath(base + "/t/y"),
                    c.transactionOp().check().withVersion(0).forPath(base + "/t"));
                throw new AssertionError("a stale version check must fail the transaction");
            } catch (org.apache.zookeeper.KeeperException.BadVersionException expected) {
                // expected
            }
            check(c.checkExists().forPath(base + "/t/y") == null, "nothing applied from the failed transaction");
        }
    }
}
