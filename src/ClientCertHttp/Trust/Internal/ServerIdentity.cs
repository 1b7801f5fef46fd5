using System.Formats.Asn1;
using System.Security.Cryptography.X509Certificates;

namespace ClientCertHttp.Trust;

internal enum ServerIdentityKind
{
    Dns,
    Uri,
    Subject,
}

/// <summary>One entry of <see cref="ServerTrustOptions.AllowedServerIdentities"/>, parsed at startup.</summary>
internal sealed record ServerIdentity(ServerIdentityKind Kind, string Value, string Original)
{
    private const string SubjectAlternativeNameOid = "2.5.29.17";

    /// <summary>Parses <c>dns:…</c>, <c>uri:…</c> or <c>subject:…</c>; returns <see langword="null"/> with an error otherwise.</summary>
    public static ServerIdentity? Parse(string entry, out string? error)
    {
        error = null;
        var colon = entry.IndexOf(':', StringComparison.Ordinal);
        var prefix = colon < 0 ? string.Empty : entry[..colon].Trim().ToUpperInvariant();
        var value = colon < 0 ? string.Empty : entry[(colon + 1)..].Trim();
        if (value.Length == 0 || prefix is not ("DNS" or "URI" or "SUBJECT"))
        {
            error = $"'{entry}' is not an identity; write dns:<host name>, uri:<URI, for example a SPIFFE ID> or subject:<distinguished name>";
            return null;
        }

        switch (prefix)
        {
            case "DNS":
                return new ServerIdentity(ServerIdentityKind.Dns, value.TrimEnd('.'), entry);
            case "URI":
                if (!Uri.TryCreate(value, UriKind.Absolute, out _))
                {
                    error = $"'{entry}' does not contain an absolute URI";
                    return null;
                }

                return new ServerIdentity(ServerIdentityKind.Uri, value, entry);
            default:
                try
                {
                    // Normalized by decoding the encoded name (X500DistinguishedName.Name echoes the input string), so
                    // "CN=a,O=b" matches a certificate whose subject renders as "CN=a, O=b".
                    return new ServerIdentity(ServerIdentityKind.Subject, Normalize(new X500DistinguishedName(value)), entry);
                }
                catch (System.Security.Cryptography.CryptographicException)
                {
                    error = $"'{entry}' does not contain a valid distinguished name";
                    return null;
                }
        }
    }

    /// <summary>Returns the first identity the certificate matches, or <see langword="null"/>.</summary>
    public static ServerIdentity? FindMatch(ServerIdentity[] allowed, X509Certificate2 certificate)
    {
        List<string>? dnsNames = null;
        List<string>? uris = null;
        string? subject = null;
        foreach (var identity in allowed)
        {
            switch (identity.Kind)
            {
                case ServerIdentityKind.Subject when string.Equals(subject ??= Normalize(certificate.SubjectName), identity.Value, StringComparison.Ordinal):
                    return identity;
                case ServerIdentityKind.Dns:
                    if (dnsNames is null)
                    {
                        ReadSubjectAlternativeNames(certificate, out dnsNames, out uris);
                    }

                    if (dnsNames.Exists(n => string.Equals(n.TrimEnd('.'), identity.Value, StringComparison.OrdinalIgnoreCase)))
                    {
                        return identity;
                    }

                    break;
                case ServerIdentityKind.Uri:
                    if (uris is null)
                    {
                        ReadSubjectAlternativeNames(certificate, out dnsNames, out uris);
                    }

                    if (uris.Contains(identity.Value, StringComparer.Ordinal))
                    {
                        return identity;
                    }

                    break;
            }
        }

        return null;
    }

    private static string Normalize(X500DistinguishedName name) => name.Decode(X500DistinguishedNameFlags.None);

    /// <summary>Reads the dNSName ([2]) and uniformResourceIdentifier ([6]) entries of the SAN extension (RFC 5280 GeneralNames).</summary>
    internal static void ReadSubjectAlternativeNames(X509Certificate2 certificate, out List<string> dnsNames, out List<string> uris)
    {
        dnsNames = [];
        uris = [];
        ReadSubjectAlternativeNames(certificate, dnsNames, uris, ipAddresses: null);
    }

    /// <summary>
    /// Adds the dNSName ([2]), uniformResourceIdentifier ([6]) and iPAddress ([7], the raw 4 or 16 bytes) entries of the
    /// SAN extension to the lists given; a malformed extension adds nothing.
    /// </summary>
    internal static void ReadSubjectAlternativeNames(X509Certificate2 certificate, List<string> dnsNames, List<string>? uris, List<byte[]>? ipAddresses)
    {
        var extension = certificate.Extensions[SubjectAlternativeNameOid];
        if (extension is null)
        {
            return;
        }

        try
        {
            var reader = new AsnReader(extension.RawData, AsnEncodingRules.DER);
            var names = reader.ReadSequence();
            reader.ThrowIfNotEmpty();
            var dnsTag = new Asn1Tag(TagClass.ContextSpecific, 2);
            var uriTag = new Asn1Tag(TagClass.ContextSpecific, 6);
            var ipTag = new Asn1Tag(TagClass.ContextSpecific, 7);
            while (names.HasData)
            {
                var tag = names.PeekTag();
                if (tag.HasSameClassAndValue(dnsTag))
                {
                    dnsNames.Add(names.ReadCharacterString(UniversalTagNumber.IA5String, dnsTag));
                }
                else if (uris is not null && tag.HasSameClassAndValue(uriTag))
                {
                    uris.Add(names.ReadCharacterString(UniversalTagNumber.IA5String, uriTag));
                }
                else if (ipAddresses is not null && tag.HasSameClassAndValue(ipTag))
                {
                    ipAddresses.Add(names.ReadOctetString(ipTag));
                }
                else
                {
                    names.ReadEncodedValue();
                }
            }
        }
        catch (AsnContentException)
        {
            // A malformed extension matches nothing; the platform's own name check has already judged it.
            dnsNames.Clear();
            uris?.Clear();
            ipAddresses?.Clear();
        }
    }
}
