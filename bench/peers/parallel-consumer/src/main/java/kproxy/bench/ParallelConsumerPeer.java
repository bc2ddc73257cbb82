package kproxy.bench;

import io.confluent.parallelconsumer.ParallelConsumerOptions;
import io.confluent.parallelconsumer.ParallelConsumerOptions.CommitMode;
import io.confluent.parallelconsumer.ParallelConsumerOptions.ProcessingOrder;
import io.confluent.parallelconsumer.ParallelStreamProcessor;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Benchmark peer: Confluent's Parallel Consumer POSTing each record to an HTTP endpoint with
 * java.net.http.HttpClient (HTTP/1.1, keep-alive), one request per record.
 *
 * <p>Settings come from the environment (the bench runner sets them): BOOTSTRAP (host:port list),
 * TOPIC, GROUP_ID, SINK_URL (where to POST), CONCURRENCY (records in flight, Parallel Consumer's
 * maxConcurrency, which is also its worker-thread count), ORDERING (key | unordered | partition).
 *
 * <p>Success is a 2xx answer; anything else, or a transport error, throws from the user function,
 * which Parallel Consumer retries after its retry delay (1 s by default) without giving up. It
 * commits (asynchronously, periodically: CommitMode.PERIODIC_CONSUMER_ASYNCHRONOUS, its default)
 * the lowest offset not yet completed per partition, plus the completed offsets above it encoded
 * in the commit metadata, so nothing is committed before its POST succeeded.
 *
 * <p>Protocol with the runner: prints "ready" once built, waits for one line on stdin, then
 * subscribes. So the runner's CPU reading excludes JVM start-up but includes the group join.
 */
public final class ParallelConsumerPeer {
  private ParallelConsumerPeer() {}

  public static void main(String[] args) throws Exception {
    String bootstrap = required("BOOTSTRAP");
    String topic = required("TOPIC");
    String groupId = required("GROUP_ID");
    URI sink = URI.create(required("SINK_URL"));
    int concurrency = Integer.parseInt(required("CONCURRENCY"));
    if (concurrency < 1) throw new IllegalArgumentException("CONCURRENCY must be at least 1, got " + concurrency);
    ProcessingOrder order = order(required("ORDERING"));

    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
    // Parallel Consumer refuses a consumer that auto-commits: it commits itself.
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props);

    ParallelConsumerOptions<String, String> options = ParallelConsumerOptions.<String, String>builder()
        .ordering(order)
        .maxConcurrency(concurrency)
        .commitMode(CommitMode.PERIODIC_CONSUMER_ASYNCHRONOUS)
        .consumer(consumer)
        .build();
    ParallelStreamProcessor<String, String> processor = ParallelStreamProcessor.createEosStreamProcessor(options);

    // Plain http: HTTP/2 would first try an h2c upgrade on every new connection.
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();

    Runtime.getRuntime().addShutdownHook(new Thread(processor::close, "peer-shutdown"));
    System.out.println("ready");
    System.out.flush();
    new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();

    processor.subscribe(List.of(topic));
    processor.poll(context -> {
      ConsumerRecord<String, String> record = context.getSingleConsumerRecord();
      HttpRequest request = HttpRequest.newBuilder(sink)
          .timeout(Duration.ofSeconds(10))
          .header("content-type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(record.value()))
          .build();
      HttpResponse<Void> response;
      try {
        response = http.send(request, HttpResponse.BodyHandlers.discarding());
      } catch (java.io.IOException e) {
        throw new IllegalStateException("POST failed: " + e.getMessage(), e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted", e);
      }
      int status = response.statusCode();
      if (status < 200 || status > 299) throw new IllegalStateException("sink answered " + status);
    });
    Thread.currentThread().join();
  }

  private static String required(String name) {
    String value = System.getenv(name);
    if (value == null || value.isEmpty()) throw new IllegalArgumentException(name + " is required");
    return value;
  }

  private static ProcessingOrder order(String ordering) {
    switch (ordering.toLowerCase(Locale.ROOT)) {
      case "key":
        return ProcessingOrder.KEY;
      case "unordered":
        return ProcessingOrder.UNORDERED;
      case "partition":
        return ProcessingOrder.PARTITION;
      default:
        throw new IllegalArgumentException("ORDERING must be key, unordered or partition, got " + ordering);
    }
  }
}
