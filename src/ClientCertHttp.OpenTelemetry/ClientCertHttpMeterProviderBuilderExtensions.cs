using ClientCertHttp.Diagnostics;

namespace OpenTelemetry.Metrics;

/// <summary>
/// Extension methods that add ClientCertHttp's metrics to an OpenTelemetry <see cref="MeterProviderBuilder"/>.
/// </summary>
public static class ClientCertHttpMeterProviderBuilderExtensions
{
    /// <summary>
    /// Exports the instruments of the <c>ClientCertHttp</c> meter (<see cref="ClientCertHttpMetrics.MeterName"/>):
    /// certificate time to expiry, reloads and selections, request failures by category, server-certificate
    /// rejections by reason, client-certificate rejections by TLS alert, and the TLS handshake duration.
    /// </summary>
    /// <param name="builder">The meter provider builder, for example from <c>services.AddOpenTelemetry().WithMetrics(…)</c>.</param>
    /// <returns>The same <paramref name="builder"/>, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is <see langword="null"/>.</exception>
    /// <remarks>
    /// The library creates its meter through the application's <c>IMeterFactory</c>; every tag has few values (the
    /// client's name and closed sets of reasons), so the instruments add few time series. The names, units and tags
    /// are the constants of <see cref="ClientCertHttpMetrics"/>.
    /// </remarks>
    public static MeterProviderBuilder AddClientCertHttpInstrumentation(this MeterProviderBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddMeter(ClientCertHttpMetrics.MeterName);
    }
}
