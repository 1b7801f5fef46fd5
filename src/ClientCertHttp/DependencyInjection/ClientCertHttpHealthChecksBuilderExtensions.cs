using ClientCertHttp.Certificates;
using ClientCertHttp.DependencyInjection;
using ClientCertHttp.Diagnostics;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Extension methods that add a health check of the client certificates to <see cref="IHealthChecksBuilder"/>.
/// </summary>
public static class ClientCertHttpHealthChecksBuilderExtensions
{
    /// <summary>
    /// Adds a health check that reports the client certificates of the clients registered with
    /// <c>AddClientCertHttpClient</c>: Healthy; Degraded inside a client's <c>ExpiryWarningWindow</c> or after a failed
    /// reload (the previous certificate is still in use); Unhealthy (or <paramref name="failureStatus"/>) when a
    /// certificate has expired or never loaded.
    /// </summary>
    /// <param name="builder">The health checks builder.</param>
    /// <param name="name">The health check's name.</param>
    /// <param name="failureStatus">The status reported instead of Unhealthy, or <see langword="null"/> for Unhealthy.</param>
    /// <param name="tags">Tags for filtering health checks.</param>
    /// <param name="clientNames">The clients to report, or <see langword="null"/> for every client-certificate client.</param>
    /// <returns>The same <paramref name="builder"/>, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty.</exception>
    /// <remarks>
    /// The result's data has one entry per client with its subject, thumbprint, not-after date and the outcome of the
    /// last reload; it never contains a password or key material.
    /// </remarks>
    public static IHealthChecksBuilder AddClientCertificateHealthCheck(
        this IHealthChecksBuilder builder,
        string name = "client-certificates",
        HealthStatus? failureStatus = null,
        IEnumerable<string>? tags = null,
        IEnumerable<string>? clientNames = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(name);
        var clients = clientNames?.ToArray();
        return builder.Add(new HealthCheckRegistration(
            name,
            serviceProvider => new ClientCertificateHealthCheck(
                serviceProvider.GetService<ClientCertHttpClientRegistry>()
                    ?? throw new InvalidOperationException("AddClientCertificateHealthCheck needs at least one client registered with AddClientCertHttpClient or AddClientCertificate."),
                serviceProvider.GetRequiredService<ClientCertificateSources>(),
                serviceProvider.GetRequiredService<TimeProvider>(),
                clients),
            failureStatus,
            tags));
    }
}
