namespace ClientCertHttp.Certificates;

/// <summary>
/// A linear pre-scan of PEM text. <see cref="System.Security.Cryptography.PemEncoding.TryFind(ReadOnlySpan{char}, out System.Security.Cryptography.PemFields)"/>
/// searches the rest of the input for the end of every section it starts, so text made of many
/// <c>-----BEGIN</c> lines without their <c>-----END</c> (or with the wrong label) costs time quadratic in its size:
/// minutes for 4 MiB. Text that passes this scan has every section closed by its own label before the next one
/// starts, which keeps the platform's parse linear.
/// </summary>
internal static class PemScan
{
    private const string Begin = "-----BEGIN ";
    private const string End = "-----END ";
    private const string Dashes = "-----";

    /// <summary>Returns <see langword="null"/> when the text is safe to parse, otherwise what is wrong with it.</summary>
    /// <param name="text">The PEM text.</param>
    /// <param name="maxSections">The most sections the text may have.</param>
    public static string? Check(ReadOnlySpan<char> text, int maxSections)
    {
        var sections = 0;
        var position = 0;
        while (true)
        {
            var begin = text[position..].IndexOf(Begin, StringComparison.Ordinal);
            if (begin < 0)
            {
                return null;
            }

            begin += position;
            if (++sections > maxSections)
            {
                return $"it has more than {maxSections} PEM sections";
            }

            var labelStart = begin + Begin.Length;
            var labelLength = text[labelStart..].IndexOfAny('-', '\n');
            if (labelLength < 0 || !text[(labelStart + labelLength)..].StartsWith(Dashes, StringComparison.Ordinal))
            {
                return "a '-----BEGIN' line is not closed by '-----'";
            }

            var label = text.Slice(labelStart, labelLength);
            var bodyStart = labelStart + labelLength + Dashes.Length;
            var end = text[bodyStart..].IndexOf(End, StringComparison.Ordinal);
            if (end < 0)
            {
                return $"the section '{label}' has no '-----END {label}-----'";
            }

            end += bodyStart;
            if (text[bodyStart..end].Contains(Begin, StringComparison.Ordinal))
            {
                return $"a section starts inside the section '{label}'";
            }

            var endLabel = text[(end + End.Length)..];
            if (!endLabel.StartsWith(label, StringComparison.Ordinal) || !endLabel[label.Length..].StartsWith(Dashes, StringComparison.Ordinal))
            {
                return $"the section '{label}' is closed by another label";
            }

            position = end + End.Length + label.Length + Dashes.Length;
        }
    }
}
