/** Kafka topic of a broker, as the Knative Kafka broker names it. */
export function brokerTopic(namespace: string, broker: string): string {
  return `knative-broker-${namespace}-${broker}`
}

/** Kafka consumer group of a trigger, as the Knative Kafka broker names it. */
export function triggerConsumerGroup(namespace: string, trigger: string): string {
  return `knative-trigger-${namespace}-${trigger}`
}
