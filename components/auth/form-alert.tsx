import { AlertIcon } from "@/components/ui/icons";

export function FormAlert({ children }: { children: React.ReactNode }) {
  return (
    <div role="alert" className="flex items-start gap-2 rounded-lg bg-danger-soft px-3 py-2.5 text-[13px] leading-5 text-danger">
      <AlertIcon size={16} className="mt-0.5 shrink-0" />
      <div>{children}</div>
    </div>
  );
}
