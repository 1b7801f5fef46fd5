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

        if (options.Certificate is null || string.IsNullOrWhiteSpace(options.Certificate.Path))
        {
            problems.Add(new ClientCertificateException(
                name,
                ClientCertificateFailureReason.NoCertificateConfigured,
                $"{names.Prefix} has no client certificate configured, so it would connect without one. Set {names["Certificate:Path"]} (and {names["Certificate:Password"]}) to a PKCS#12 (.pfx/.p12) file."));
        }

        if (problems.Count == 0 || problems.TrueForAll(p => p.Reason == ClientCertificateFailureReason.InvalidConfiguration))
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
            throw ClientCertificateException.Combine(name, problems);
        }

        return ValidateOptionsResult.Success;
    }
}
