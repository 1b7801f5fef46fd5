using ClientCertHttp.Diagnostics;

namespace OpenTelemetry.Trace;

/// <summary>
/// Extension methods that add ClientCertHttp's activities to an OpenTelemetry <see cref="TracerProviderBuilder"/>.
/// </summary>
public static class ClientCertHttpTracerProviderBuilderExtensions
{
    /// <summary>
    /// Exports the activities of the <c>ClientCertHttp</c> activity source
    /// (<see cref="ClientCertHttpActivities.ActivitySourceName"/>): one <c>clientcerthttp.certificate.reload</c> span per
    /// certificate reload, with its client, trigger and result, and an error status when the reload failed.
    /// </summary>
    /// <param name="builder">The tracer provider builder, for example from <c>services.AddOpenTelemetry().WithTracing(…)</c>.</param>
    /// <returns>The same <paramref name="builder"/>, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is <see langword="null"/>.</exception>
    /// <remarks>
    /// Requests themselves are traced by the HTTP client instrumentation (<c>System.Net.Http</c>), not here: the
    /// library starts no activity on the request path.
    /// </remarks>
    public static TracerProviderBuilder AddClientCertHttpInstrumentation(this TracerProviderBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddSource(ClientCertHttpActivities.ActivitySourceName);
    }
}
