import Metrics
import Prometheus

/// Bootstraps swift-metrics with a Prometheus registry once per process; `/metrics`
/// renders the registry in the Prometheus text format.
enum MetricsSetup {
    static func bootstrap() -> PrometheusCollectorRegistry {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }
}
