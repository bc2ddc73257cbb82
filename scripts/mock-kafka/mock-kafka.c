/*
 * A controllable Kafka-protocol broker for tests and the demo: librdkafka's mock cluster
 * driven by line commands on stdin. Prints "bootstrap <host:port,...>" once ready, then
 * "ok" or "err <reason>" for every command. Exits when stdin closes.
 *
 *   topic <name> <partitions>          create a topic
 *   down <brokerId> | up <brokerId>    take a broker off / back on the network
 *   rtt <brokerId> <ms>                add round-trip latency to a broker
 *   errors <apiKey> <err> [<err>...]   fail the next requests of that API with these codes
 *   advertise <brokerId> <host> <port> change the address a broker advertises in metadata
 *   quit
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

static void reply_err(const char *why) {
        printf("err %s\n", why);
        fflush(stdout);
}

static void reply_ok(void) {
        printf("ok\n");
        fflush(stdout);
}

int main(int argc, char **argv) {
        int brokers = argc > 1 ? atoi(argv[1]) : 1;
        char errstr[512];
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof(errstr));
        rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
        if (!rk) {
                fprintf(stderr, "rd_kafka_new: %s\n", errstr);
                return 1;
        }
        rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, brokers < 1 ? 1 : brokers);
        if (!mc) {
                fprintf(stderr, "rd_kafka_mock_cluster_new failed\n");
                return 1;
        }
        /* Real brokers are configured with a delay to batch joins; tests want prompt joins. */
        rd_kafka_mock_group_initial_rebalance_delay_ms(mc, 0);
        printf("bootstrap %s\n", rd_kafka_mock_cluster_bootstraps(mc));
        fflush(stdout);

        char line[4096];
        while (fgets(line, sizeof(line), stdin)) {
                char *argv2[64];
                int n = 0;
                for (char *tok = strtok(line, " \t\r\n"); tok && n < 64; tok = strtok(NULL, " \t\r\n"))
                        argv2[n++] = tok;
                if (n == 0)
                        continue;
                const char *cmd = argv2[0];
                if (!strcmp(cmd, "quit")) {
                        break;
                } else if (!strcmp(cmd, "topic") && n == 3) {
                        rd_kafka_resp_err_t err = rd_kafka_mock_topic_create(mc, argv2[1], atoi(argv2[2]), 1);
                        if (err) reply_err(rd_kafka_err2str(err)); else reply_ok();
                } else if ((!strcmp(cmd, "down") || !strcmp(cmd, "up")) && n == 2) {
                        rd_kafka_resp_err_t err = !strcmp(cmd, "down")
                                ? rd_kafka_mock_broker_set_down(mc, atoi(argv2[1]))
                                : rd_kafka_mock_broker_set_up(mc, atoi(argv2[1]));
                        if (err) reply_err(rd_kafka_err2str(err)); else reply_ok();
                } else if (!strcmp(cmd, "rtt") && n == 3) {
                        rd_kafka_resp_err_t err = rd_kafka_mock_broker_set_rtt(mc, atoi(argv2[1]), atoi(argv2[2]));
                        if (err) reply_err(rd_kafka_err2str(err)); else reply_ok();
                } else if (!strcmp(cmd, "errors") && n >= 3) {
                        rd_kafka_resp_err_t errs[62];
                        size_t cnt = 0;
                        for (int i = 2; i < n; i++) errs[cnt++] = (rd_kafka_resp_err_t)atoi(argv2[i]);
                        rd_kafka_mock_push_request_errors_array(mc, (int16_t)atoi(argv2[1]), cnt, errs);
                        reply_ok();
                } else if (!strcmp(cmd, "advertise") && n == 4) {
                        rd_kafka_mock_broker_set_host_port(mc, atoi(argv2[1]), argv2[2], atoi(argv2[3]));
                        reply_ok();
                } else {
                        reply_err("unknown command or wrong number of arguments");
                }
        }
        rd_kafka_mock_cluster_destroy(mc);
        rd_kafka_destroy(rk);
        return 0;
}
