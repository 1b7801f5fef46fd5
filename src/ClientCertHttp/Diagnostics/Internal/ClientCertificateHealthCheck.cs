using ClientCertHttp.Certificates;
using ClientCertHttp.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ClientCertHttp.Diagnostics;

/// <summary>
/// Reports the client certificates: Healthy, Degraded inside the expiry warning window or after a failed reload
/// (the last good certificate is still in use), Unhealthy when a certificate has expired or never loaded.
/// </summary>
internal sealed class ClientCertificateHealthCheck(
    ClientCertHttpClientRegistry registry,
    ClientCertificateSources sources,
    TimeProvider timeProvider,
    IReadOnlyCollection<string>? clientNames) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var now = timeProvider.GetUtcNow();
        var worst = HealthStatus.Healthy;
        var problems = new List<string>();
        var data = new Dictionary<string, object>(StringComparer.Ordinal);

        foreach (var name in clientNames ?? registry.Names)
        {
            if (!registry.Contains(name) || sources.Get(name) is not { IsStarted: true } entry)
            {
                worst = HealthStatus.Unhealthy;
                problems.Add($"'{name}' has no certificate loaded");
                data[name] = new Dictionary<string, object> { ["status"] = nameof(HealthStatus.Unhealthy), ["lastReload"] = "never loaded" };
                continue;
            }

            if (entry.Current.Certificate?.Certificate is not { } leaf)
            {
                // A per-identity client without a certificate of its own: its identities are reported below.
                data[name] = new Dictionary<string, object> { ["status"] = nameof(HealthStatus.Healthy), ["certificate"] = "none of its own (per-identity client)" };
                continue;
            }

            var notAfter = new DateTimeOffset(leaf.NotAfter.ToUniversalTime());
            var last = entry.LastReload;
            var status = HealthStatus.Healthy;
            if (now >= notAfter)
            {
                status = HealthStatus.Unhealthy;
                problems.Add($"'{name}': certificate {leaf.Thumbprint} expired on {notAfter:u}");
            }
            else if (notAfter - now <= entry.Options.ExpiryWarningWindow)
            {
                status = HealthStatus.Degraded;
                problems.Add($"'{name}': certificate {leaf.Thumbprint} expires on {notAfter:u}");
            }

            if (!last.Succeeded && status == HealthStatus.Healthy)
            {
                status = HealthStatus.Degraded;
            }

            if (!last.Succeeded)
            {
                problems.Add($"'{name}': the last reload failed, the previous certificate is still in use: {last.Error}");
            }

            worst = status < worst ? status : worst;
            data[name] = new Dictionary<string, object>
            {
                ["status"] = status.ToString(),
                ["subject"] = leaf.Subject,
                ["thumbprint"] = leaf.Thumbprint,
                ["notAfter"] = notAfter,
                ["lastReload"] = last.ToString(),
                ["lastReloadSucceeded"] = last.Succeeded,
                ["lastReloadAt"] = last.Timestamp,
            };
        }

        foreach (var name in clientNames ?? registry.Names)
        {
            if (registry.Contains(name) && sources.Get(name).IsStarted)
            {
                worst = CheckIdentities(name, sources.GetIdentities(name), now, problems, data, worst);
            }
        }

        var description = problems.Count == 0 ? "All client certificates are valid." : string.Join("; ", problems);
        var reported = worst == HealthStatus.Unhealthy ? context.Registration.FailureStatus : worst;
        return Task.FromResult(new HealthCheckResult(reported, description, data: data));
    }

    /// <summary>
    /// Aggregates the loaded identities of a per-identity client: one entry per client (never one per identity), the
    /// worst status, and the first few problems by identity.
    /// </summary>
    private static HealthStatus CheckIdentities(string name, ClientCertHttp.Identities.ClientCertificateIdentityPool pool, DateTimeOffset now, List<string> problems, Dictionary<string, object> data, HealthStatus worst)
    {
        const int MaxListed = 5;
        var loaded = 0;
        var expired = 0;
        var expiring = 0;
        var failedReloads = 0;
        var listed = 0;
        foreach (var (identity, source) in pool.Loaded())
        {
            loaded++;
            if (source.Current.Certificate?.Certificate is not { } leaf)
            {
                continue;
            }

            var notAfter = new DateTimeOffset(leaf.NotAfter.ToUniversalTime());
            string? problem = null;
            if (now >= notAfter)
            {
                expired++;
                problem = $"'{name}' identity '{identity}': certificate {leaf.Thumbprint} expired on {notAfter:u}";
            }
            else if (notAfter - now <= source.Options.ExpiryWarningWindow)
            {
                expiring++;
                problem = $"'{name}' identity '{identity}': certificate {leaf.Thumbprint} expires on {notAfter:u}";
            }

            if (!source.LastReload.Succeeded)
            {
                failedReloads++;
                problem ??= $"'{name}' identity '{identity}': the last reload failed, the previous certificate is still in use";
            }

            if (problem is not null && listed++ < MaxListed)
            {
                problems.Add(problem);
            }
        }

        if (loaded == 0)
        {
            return worst;
        }

        var status = expired > 0 ? HealthStatus.Unhealthy : expiring > 0 || failedReloads > 0 ? HealthStatus.Degraded : HealthStatus.Healthy;
        data[name + ":identities"] = new Dictionary<string, object>
        {
            ["status"] = status.ToString(),
            ["loaded"] = loaded,
            ["expired"] = expired,
            ["expiringSoon"] = expiring,
            ["failedReloads"] = failedReloads,
        };
        return status < worst ? status : worst;
    }
}
