using Microsoft.Extensions.Options;

namespace ClientCertHttp.Internal;

/// <summary>
/// Validates a client's options and loads its certificate and trust anchors, so that every problem fails startup
/// (with <c>ValidateOnStart</c>) instead of the first request. Throws <see cref="ClientCertificateException"/> rather
/// than returning a failure so callers get the typed exception; the host's startup validation collects it together
/// with the other clients' problems.
/// </summary>
internal sealed class ClientCertHttpOptionsValidator(
    ClientCertHttpClientRegistry registry,
    ClientTlsStateCache cache) : IValidateOptions<ClientCertHttpOptions>
{
    public ValidateOptionsResult Validate(string? name, ClientCertHttpOptions options)
    {
        if (name is null || !registry.Contains(name))
        {
            return ValidateOptionsResult.Skip;
        }

        var names = SettingNames.For(name, options);
        var problems = new List<ClientCertificateException>();
        cache.TryGetEntry(name, out var running);

        foreach (var error in options.ConfigurationErrors ?? [])
        {
            problems.Add(new ClientCertificateException(name, ClientCertificateFailureReason.InvalidConfiguration, $"{names.Prefix}: {error}"));
        }

        if (options.BaseAddress is { } baseAddress
            && (!baseAddress.IsAbsoluteUri || !string.Equals(baseAddress.Scheme, Uri.UriSchemeHttps, StringComparison.OrdinalIgnoreCase)))
        {
            problems.Add(new ClientCertificateException(
                name,
                ClientCertificateFailureReason.InvalidConfiguration,
                $"{names.Prefix}: {names["BaseAddress"]} must be an absolute https URI; a client certificate is only sent over TLS."));
        }

        if (options.Reload is { } reload)
        {
            if (reload.PollInterval < TimeSpan.FromMilliseconds(100) || reload.PollInterval > TimeSpan.FromHours(1))
            {
                problems.Add(InvalidSetting(name, $"{names.Prefix}: {names["Reload:PollInterval"]} must be between 00:00:00.100 and 01:00:00."));
            }

            if (reload.DrainTimeout < TimeSpan.Zero || reload.DrainTimeout > TimeSpan.FromHours(1))
            {
                problems.Add(InvalidSetting(name, $"{names.Prefix}: {names["Reload:DrainTimeout"]} must be between 00:00:00 and 01:00:00."));
            }
        }
        else
        {
            problems.Add(InvalidSetting(name, $"{names.Prefix}: {names["Reload"]} must not be null."));
        }

        if (options.ExpiryWarningWindow < TimeSpan.Zero)
        {
            problems.Add(InvalidSetting(name, $"{names.Prefix}: {names["ExpiryWarningWindow"]} must not be negative."));
        }

        if (options.Certificate is null || string.IsNullOrWhiteSpace(options.Certificate.Path))
        {
            problems.Add(new ClientCertificateException(
                name,
                ClientCertificateFailureReason.NoCertificateConfigured,
                $"{names.Prefix} has no client certificate configured, so it would connect without one. Set {names["Certificate:Path"]} (and {names["Certificate:Password"]}) to a PKCS#12 (.pfx/.p12) file."));
        }

        if (problems.Count == 0 || (running is null && problems.TrueForAll(p => p.Reason == ClientCertificateFailureReason.InvalidConfiguration)))
        {
            // Load even when keys are misspelled: a misspelled Password also shows up as a password problem, and both
            // belong in the same report.
            if (options.Certificate is not null && !string.IsNullOrWhiteSpace(options.Certificate.Path))
            {
                try
                {
                    cache.GetOrCreate(name, options);
                }
                catch (ClientCertificateException ex)
                {
                    problems.Add(ex);
                }
            }
        }

        if (problems.Count > 0)
        {
            var combined = ClientCertificateException.Combine(name, problems);
            if (running is not null)
            {
                // A configuration reload after startup: the client keeps its last good certificate, and the problem is
                // logged, counted and reported by the health check instead of breaking requests.
                running.OnOptionsSeen(options, combined);
                return ValidateOptionsResult.Success;
            }

            // Startup: nothing may stay half-configured, not even a certificate that loaded next to a bad key.
            cache.Remove(name);
            throw combined;
        }

        return ValidateOptionsResult.Success;
    }

    private static ClientCertificateException InvalidSetting(string name, string message) =>
        new(name, ClientCertificateFailureReason.InvalidConfiguration, message);
}
