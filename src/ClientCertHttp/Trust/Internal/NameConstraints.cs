using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ClientCertHttp.Trust;

/// <summary>
/// The DNS and IP address name constraints (RFC 5280 section 4.2.1.10) of one CA certificate, and their evaluation
/// over the names of a server's certificate. The platform (OpenSSL) compares a wildcard name as literal text, so
/// <c>*.example.com</c> passes an exclusion of <c>bad.example.com</c> although it matches that host; here a wildcard
/// counts with every name it can match.
/// </summary>
internal sealed class NameConstraints
{
    public const string Oid = "2.5.29.30";

    private static readonly Asn1Tag PermittedTag = new(TagClass.ContextSpecific, 0, isConstructed: true);
    private static readonly Asn1Tag ExcludedTag = new(TagClass.ContextSpecific, 1, isConstructed: true);
    private static readonly Asn1Tag DnsTag = new(TagClass.ContextSpecific, 2);
    private static readonly Asn1Tag IpTag = new(TagClass.ContextSpecific, 7);

    private readonly List<string> _permittedDns = [];
    private readonly List<string> _excludedDns = [];
    private readonly List<byte[]> _permittedIp = [];
    private readonly List<byte[]> _excludedIp = [];

    private NameConstraints()
    {
    }

    /// <summary>
    /// Checks the DNS names and IP addresses of the chain's first element against the name constraints of every
    /// other element (intermediates and the root).
    /// </summary>
    /// <param name="chain">The built chain, leaf first.</param>
    /// <param name="judgeWildcardsLiterally">Skip the wildcard rule (<see cref="ServerTrustOptions.AllowWildcardNameConstraintOverlap"/>).</param>
    /// <returns>What is wrong, or <see langword="null"/> when every name is allowed.</returns>
    public static string? Check(X509ChainElementCollection chain, bool judgeWildcardsLiterally)
    {
        if (chain.Count < 2)
        {
            return null;
        }

        List<string>? dnsNames = null;
        List<byte[]>? ipAddresses = null;
        for (var i = 1; i < chain.Count; i++)
        {
            var ca = chain[i].Certificate;
            if (ca.Extensions[Oid] is not { } extension)
            {
                continue;
            }

            var constraints = TryParse(extension.RawData);
            if (constraints is null)
            {
                return $"the name constraints of the CA '{ca.Subject}' cannot be read (malformed DER), so what they allow is unknown.";
            }

            if (dnsNames is null)
            {
                dnsNames = [];
                ipAddresses = [];
                ServerIdentity.ReadSubjectAlternativeNames(chain[0].Certificate, dnsNames, uris: null, ipAddresses);
            }

            if (constraints.FindViolation(dnsNames, ipAddresses!, judgeWildcardsLiterally) is { } violation)
            {
                return $"the name constraints of the CA '{ca.Subject}' forbid it: {violation}.";
            }
        }

        return null;
    }

    /// <summary>Reads a NameConstraints extension value; <see langword="null"/> when it is not valid DER of that shape.</summary>
    internal static NameConstraints? TryParse(byte[] der)
    {
        try
        {
            var result = new NameConstraints();
            var reader = new AsnReader(der, AsnEncodingRules.DER);
            var sequence = reader.ReadSequence();
            reader.ThrowIfNotEmpty();
            if (sequence.HasData && sequence.PeekTag() == PermittedTag)
            {
                ReadSubtrees(sequence.ReadSequence(PermittedTag), result._permittedDns, result._permittedIp);
            }

            if (sequence.HasData && sequence.PeekTag() == ExcludedTag)
            {
                ReadSubtrees(sequence.ReadSequence(ExcludedTag), result._excludedDns, result._excludedIp);
            }

            sequence.ThrowIfNotEmpty();
            return result;
        }
        catch (Exception ex) when (ex is AsnContentException or CryptographicException)
        {
            return null;
        }
    }

    /// <summary>Returns what breaks the constraints (for the message), or <see langword="null"/>.</summary>
    internal string? FindViolation(List<string> dnsNames, List<byte[]> ipAddresses, bool judgeWildcardsLiterally)
    {
        foreach (var raw in dnsNames)
        {
            var name = raw.TrimEnd('.');

            // A wildcard in the first label ("*", or a partial one such as "w*", read as "*": a superset) stands for any
            // one label: the name is judged by the set of names it can match.
            var dot = name.IndexOf('.', StringComparison.Ordinal);
            var firstLabel = dot < 0 ? name : name[..dot];
            var wildcard = !judgeWildcardsLiterally && firstLabel.Contains('*', StringComparison.Ordinal);
            var parent = wildcard ? (dot < 0 ? string.Empty : name[(dot + 1)..]) : name;

            foreach (var subtree in _excludedDns)
            {
                if (wildcard ? WildcardMayEnter(parent, subtree) : Within(name, subtree))
                {
                    return wildcard
                        ? $"the DNS name '{raw}' can match names in the excluded subtree '{subtree}' (ServerTrust:AllowWildcardNameConstraintOverlap relaxes this)"
                        : $"the DNS name '{raw}' is in the excluded subtree '{subtree}'";
                }
            }

            if (_permittedDns.Count > 0 && !_permittedDns.Exists(subtree => wildcard ? WildcardStaysWithin(parent, subtree) : Within(name, subtree)))
            {
                return wildcard
                    ? $"the DNS name '{raw}' can match names outside the permitted subtrees {string.Join(", ", _permittedDns)} (ServerTrust:AllowWildcardNameConstraintOverlap relaxes this)"
                    : $"the DNS name '{raw}' is outside the permitted subtrees {string.Join(", ", _permittedDns)}";
            }
        }

        foreach (var address in ipAddresses)
        {
            foreach (var subtree in _excludedIp)
            {
                if (InRange(address, subtree))
                {
                    return $"the IP address {Describe(address)} is in the excluded range {DescribeRange(subtree)}";
                }
            }

            if (_permittedIp.Count > 0 && !_permittedIp.Exists(subtree => InRange(address, subtree)))
            {
                return $"the IP address {Describe(address)} is outside the permitted ranges {string.Join(", ", _permittedIp.Select(DescribeRange))}";
            }
        }

        return null;
    }

    /// <summary>
    /// Tells whether a literal DNS name lies in a subtree: <c>example.com</c> holds itself and every name under it; a
    /// subtree with a leading dot (<c>.example.com</c>, as OpenSSL reads it) only the names under it; the empty
    /// subtree every name.
    /// </summary>
    internal static bool Within(string name, string subtree)
    {
        if (subtree.Length == 0)
        {
            return true;
        }

        if (subtree[0] == '.')
        {
            return name.Length > subtree.Length && name.EndsWith(subtree, StringComparison.OrdinalIgnoreCase);
        }

        return name.Equals(subtree, StringComparison.OrdinalIgnoreCase)
            || (name.Length > subtree.Length
                && name[name.Length - subtree.Length - 1] == '.'
                && name.EndsWith(subtree, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>Tells whether some name <c>label.parent</c> (one label in place of the wildcard) lies in the subtree.</summary>
    internal static bool WildcardMayEnter(string parent, string subtree)
    {
        if (subtree.Length == 0 || parent.Length == 0)
        {
            // The empty subtree holds every name; a bare "*" can match a name in any subtree.
            return true;
        }

        if (subtree[0] == '.')
        {
            // label.parent is strictly under T exactly when parent is T or under T.
            return Within(parent, subtree[1..]);
        }

        // Every label.parent is in the subtree, or the subtree is itself one such name (bad.example.com for *.example.com).
        if (Within(parent, subtree))
        {
            return true;
        }

        var prefixLength = subtree.Length - parent.Length - 1;
        return prefixLength > 0
            && subtree[prefixLength] == '.'
            && subtree.EndsWith(parent, StringComparison.OrdinalIgnoreCase)
            && subtree.IndexOf('.', StringComparison.Ordinal) == prefixLength;
    }

    /// <summary>Tells whether every name <c>label.parent</c> lies in the subtree.</summary>
    internal static bool WildcardStaysWithin(string parent, string subtree)
    {
        if (subtree.Length == 0)
        {
            return true;
        }

        if (parent.Length == 0)
        {
            return false;
        }

        return subtree[0] == '.' ? Within(parent, subtree[1..]) : Within(parent, subtree);
    }

    private static bool InRange(byte[] address, byte[] subtree)
    {
        // An iPAddress constraint is the address followed by its mask (8 bytes for IPv4, 32 for IPv6).
        if (subtree.Length != address.Length * 2)
        {
            return false;
        }

        for (var i = 0; i < address.Length; i++)
        {
            var mask = subtree[address.Length + i];
            if ((address[i] & mask) != (subtree[i] & mask))
            {
                return false;
            }
        }

        return true;
    }

    private static string Describe(byte[] address) =>
        address.Length is 4 or 16 ? new System.Net.IPAddress(address).ToString() : Convert.ToHexString(address);

    private static string DescribeRange(byte[] subtree) =>
        $"{Describe(subtree[..(subtree.Length / 2)])}/{Describe(subtree[(subtree.Length / 2)..])}";

    private static void ReadSubtrees(AsnReader subtrees, List<string> dns, List<byte[]> ip)
    {
        if (!subtrees.HasData)
        {
            // GeneralSubtrees is SIZE (1..MAX).
            throw new AsnContentException("An empty list of subtrees.");
        }

        while (subtrees.HasData)
        {
            var subtree = subtrees.ReadSequence();
            var tag = subtree.PeekTag();
            if (tag.HasSameClassAndValue(DnsTag))
            {
                dns.Add(subtree.ReadCharacterString(UniversalTagNumber.IA5String, DnsTag).TrimEnd('.'));
            }
            else if (tag.HasSameClassAndValue(IpTag))
            {
                var range = subtree.ReadOctetString(IpTag);
                if (range.Length is not (8 or 32))
                {
                    throw new AsnContentException("An iPAddress constraint is an IPv4 or IPv6 address and its mask.");
                }

                ip.Add(range);
            }
            else
            {
                // Other name forms (directory names, e-mail addresses, URIs) are the platform's to judge.
                subtree.ReadEncodedValue();
            }

            // minimum and maximum: RFC 5280 fixes them (0 and absent), and they play no part here.
            while (subtree.HasData)
            {
                subtree.ReadEncodedValue();
            }
        }
    }
}
