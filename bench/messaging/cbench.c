/*
 * The official NATS C client (libnats) running the same three measurements as bench/MessagingBench,
 * so run.sh can print both side by side. Output: one "RESULT key=value ..." line per measurement.
 *
 * usage: cbench <url> <pub-counts: n16 n128 n4k> <pubsub-count> <request-count>
 */
#include <nats/nats.h>
#include <pthread.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(call)                                                                  \
    do {                                                                             \
        natsStatus s_ = (call);                                                      \
        if (s_ != NATS_OK) {                                                         \
            fprintf(stderr, "%s failed: %s\n", #call, natsStatus_GetText(s_));      \
            exit(1);                                                                 \
        }                                                                            \
    } while (0)

static natsConnection *connect_opts(const char *url, bool send_asap)
{
    natsOptions *opts = NULL;
    natsConnection *nc = NULL;
    CHECK(natsOptions_Create(&opts));
    CHECK(natsOptions_SetURL(opts, url));
    /* Default (false): a flusher thread batches writes. True: every publish is written at once (lowest latency). */
    CHECK(natsOptions_SetSendAsap(opts, send_asap));
    CHECK(natsOptions_SetMaxPendingMsgs(opts, 1 << 20));
    CHECK(natsConnection_Connect(&nc, opts));
    natsOptions_Destroy(opts);
    return nc;
}

static natsConnection *connect_to(const char *url)
{
    return connect_opts(url, false);
}

static void publish_throughput(const char *url, int size, int count)
{
    natsConnection *nc = connect_to(url);
    char *payload = calloc(1, size);
    int64_t start = nats_NowInNanoSeconds();
    for (int i = 0; i < count; i++)
        CHECK(natsConnection_Publish(nc, "bench.pub", payload, size));
    CHECK(natsConnection_FlushTimeout(nc, 60000));
    double secs = (nats_NowInNanoSeconds() - start) / 1e9;
    printf("RESULT impl=c test=pub size=%d msgs=%d secs=%.4f msgs_per_s=%.0f mb_per_s=%.1f\n",
           size, count, secs, count / secs, (double)count * size / secs / 1e6);
    free(payload);
    natsConnection_Destroy(nc);
}

typedef struct
{
    pthread_mutex_t mu;
    pthread_cond_t cond;
    int received;
    int expected;
    int64_t first;
    int64_t last;
} counter_t;

static void on_count(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
    counter_t *c = closure;
    int64_t now = nats_NowInNanoSeconds();
    pthread_mutex_lock(&c->mu);
    if (c->received == 0)
        c->first = now;
    c->last = now;
    if (++c->received == c->expected)
        pthread_cond_signal(&c->cond);
    pthread_mutex_unlock(&c->mu);
    natsMsg_Destroy(msg);
}

static void pubsub_throughput(const char *url, int size, int count)
{
    natsConnection *pub = connect_to(url);
    natsConnection *subc = connect_to(url);
    natsSubscription *sub = NULL;
    counter_t c = {0};
    c.expected = count;
    pthread_mutex_init(&c.mu, NULL);
    pthread_cond_init(&c.cond, NULL);
    CHECK(natsConnection_Subscribe(&sub, subc, "bench.pubsub", on_count, &c));
    CHECK(natsSubscription_SetPendingLimits(sub, -1, -1));
    CHECK(natsConnection_Flush(subc));
    char *payload = calloc(1, size);
    int64_t start = nats_NowInNanoSeconds();
    for (int i = 0; i < count; i++)
        CHECK(natsConnection_Publish(pub, "bench.pubsub", payload, size));
    CHECK(natsConnection_FlushTimeout(pub, 60000));
    pthread_mutex_lock(&c.mu);
    int64_t deadline = nats_Now() + 30000;
    while (c.received < count && nats_Now() < deadline)
    {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += 1;
        pthread_cond_timedwait(&c.cond, &c.mu, &until);
    }
    int received = c.received;
    int64_t end = c.last;
    pthread_mutex_unlock(&c.mu);
    double secs = (end - start) / 1e9;
    printf("RESULT impl=c test=pubsub size=%d msgs=%d received=%d secs=%.4f msgs_per_s=%.0f mb_per_s=%.1f\n",
           size, count, received, secs, received / secs, (double)received * size / secs / 1e6);
    natsSubscription_Destroy(sub);
    free(payload);
    natsConnection_Destroy(pub);
    natsConnection_Destroy(subc);
    pthread_cond_destroy(&c.cond);
    pthread_mutex_destroy(&c.mu);
}

static void on_request(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
    natsConnection_Publish(nc, natsMsg_GetReply(msg), natsMsg_GetData(msg), natsMsg_GetDataLength(msg));
    natsMsg_Destroy(msg);
}

static int compare_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static void request_latency(const char *url, int size, int count, bool send_asap)
{
    natsConnection *responder = connect_opts(url, send_asap);
    natsConnection *requester = connect_opts(url, send_asap);
    natsSubscription *sub = NULL;
    CHECK(natsConnection_Subscribe(&sub, responder, "bench.req", on_request, NULL));
    CHECK(natsConnection_Flush(responder));
    char *payload = calloc(1, size);
    int warmup = count / 10;
    int64_t *samples = malloc(sizeof(int64_t) * count);
    for (int i = 0; i < warmup + count; i++)
    {
        natsMsg *reply = NULL;
        int64_t start = nats_NowInNanoSeconds();
        CHECK(natsConnection_Request(&reply, requester, "bench.req", payload, size, 5000));
        int64_t elapsed = nats_NowInNanoSeconds() - start;
        if (i >= warmup)
            samples[i - warmup] = elapsed;
        natsMsg_Destroy(reply);
    }
    qsort(samples, count, sizeof(int64_t), compare_i64);
    printf("RESULT impl=%s test=req size=%d msgs=%d p50_us=%.1f p99_us=%.1f\n",
           send_asap ? "c-asap" : "c", size, count, samples[count / 2] / 1e3, samples[(int)(count * 0.99)] / 1e3);
    free(samples);
    free(payload);
    natsSubscription_Destroy(sub);
    natsConnection_Destroy(responder);
    natsConnection_Destroy(requester);
}

int main(int argc, char **argv)
{
    if (argc != 7)
    {
        fprintf(stderr, "usage: %s url n16 n128 n4k pubsub-count request-count\n", argv[0]);
        return 2;
    }
    const char *url = argv[1];
    publish_throughput(url, 16, atoi(argv[2]));
    publish_throughput(url, 128, atoi(argv[3]));
    publish_throughput(url, 4096, atoi(argv[4]));
    pubsub_throughput(url, 128, atoi(argv[5]));
    request_latency(url, 128, atoi(argv[6]), false);
    request_latency(url, 128, atoi(argv[6]), true);
    nats_Close();
    return 0;
}
